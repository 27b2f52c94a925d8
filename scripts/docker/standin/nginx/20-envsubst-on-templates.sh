#!/bin/sh
# As the official image's script of this name: each NGINX_ENVSUBST_TEMPLATE_DIR/**/*.template
# (default /etc/nginx/templates) is written to NGINX_ENVSUBST_OUTPUT_DIR (default /etc/nginx/conf.d)
# without the suffix, with ${VAR} replaced for the variables that are set and whose names match
# NGINX_ENVSUBST_FILTER; nginx's own $variables, and ${VAR}s that are not set, stay as they are.
set -e
dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}
[ -d "$dir" ] || exit 0
if [ ! -w "$out" ]; then
  echo "$0: ERROR: $dir exists, but $out is not writable" >&2
  exit 0
fi
defined=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" </dev/null))
find "$dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative=${template#"$dir/"}
  target="$out/${relative%"$suffix"}"
  mkdir -p "$(dirname "$target")"
  [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: running envsubst on $template to $target"
  envsubst "$defined" <"$template" >"$target"
done
