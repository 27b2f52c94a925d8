#!/bin/sh
# The official nginx image's start-up, as its documentation describes it: for an nginx command, each
# file in /docker-entrypoint.d/ in order, *.envsh sourced (it may export variables) and *.sh run, if
# executable; then the command.
set -e
log() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$@"; }
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in $(find /docker-entrypoint.d/ -follow -mindepth 1 -maxdepth 1 -type f | sort); do
    case "$f" in
      *.envsh) if [ -x "$f" ]; then log "$0: sourcing $f"; . "$f"; else log "$0: ignoring $f, not executable"; fi ;;
      *.sh) if [ -x "$f" ]; then log "$0: launching $f"; "$f"; else log "$0: ignoring $f, not executable"; fi ;;
      *) log "$0: ignoring $f" ;;
    esac
  done
  log "$0: configuration complete; ready for start up"
fi
exec "$@"
