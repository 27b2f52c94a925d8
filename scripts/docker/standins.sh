#!/usr/bin/env bash
# Local stand-ins for the official base images, built from Debian's packages, for a machine that cannot
# pull from Docker Hub or a mirror of it. They are never tagged with the official names: the Dockerfile
# and docs/docker-compose.yml take them through their image arguments, so what is built is the
# Dockerfile users build.
#
#   bash scripts/docker/standins.sh node nginx mariadb redis     (as root, with dockerd running)
#
# Prints NAME=image for each one asked for (NODE_IMAGE=wxauth-standin/node:24, NGINX_IMAGE=…,
# MYSQL_IMAGE=…, REDIS_IMAGE=…). Each image carries a hash of its recipe (this folder; for node, the
# Node version): one whose recipe is unchanged is kept, so a second run builds nothing.
#   node     Node 24 with its headers, and npm, from this machine: the node on PATH when it is 24, else
#            the repository's node@24 devDependency (pnpm install brings it, whatever the machine's Node)
#   nginx    Debian's nginx-light with the official image's start-up (templates, /docker-entrypoint.d)
#   mariadb  MariaDB 10.11 for mysql:8.4, with the official image's MYSQL_* variables
#   redis    Redis 7.0 for redis:7-alpine
# All four start from wxauth-standin/debian:bookworm, a debootstrap'd minimal bookworm.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RECIPES=$HERE/standin
WORK=${WXAUTH_STANDIN_WORK:-/tmp/wxauth-standins}
DOCKER=${DOCKER:-docker}
LABEL=org.wxauth.standin.recipe
BASE=wxauth-standin/debian:bookworm

say() { echo "standins: $*" >&2; }
die() {
  echo "standins: $*" >&2
  exit 1
}

[ $# -gt 0 ] || die "usage: $0 node|nginx|mariadb|redis..."
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
mkdir -p "$WORK"

recipe_hash() { # files and extra words -> a short hash
  { for f in "$@"; do if [ -f "$f" ]; then sha256sum "$f" | cut -d' ' -f1; else echo "$f"; fi; done; } |
    sha256sum | cut -c1-16
}
current() { # image hash -> true when the image exists and was built from that recipe
  [ "$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" = "$2" ]
}

# Debian's mirror as this machine's apt uses it (deb822 sources or the classic list).
mirror_for() { # suite -> URI
  local uri
  uri=$(awk -v s="$1" '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) { print u; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk -v s="$1" '$1 == "deb" && $3 == s { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  echo "${uri:-}"
}

build_base() {
  local hash mirror security rootfs
  mirror=$(mirror_for bookworm)
  mirror=${mirror:-http://deb.debian.org/debian}
  security=$(mirror_for bookworm-security)
  security=${security:-http://deb.debian.org/debian-security}
  hash=$(recipe_hash "$RECIPES/base/apt-docker.conf" "$mirror" "$security" minbase-bookworm)
  current "$BASE" "$hash" && return
  [ "$(id -u)" -eq 0 ] || die "building $BASE with debootstrap needs root"
  say "debootstrap bookworm (minbase) from $mirror -> $BASE (a few minutes, once)"
  rootfs=$WORK/rootfs
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed: see $WORK/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cp "$RECIPES/base/apt-docker.conf" "$rootfs/etc/apt/apt.conf.d/docker"
  : >"$rootfs/etc/resolv.conf"
  tar -C "$rootfs" -c . | "$DOCKER" import --change 'CMD ["bash"]' --change "LABEL $LABEL=$hash" - "$BASE" >/dev/null ||
    die "docker import failed"
  rm -rf "$rootfs"
}

build_recipe() { # name tag context [build args...]
  local name=$1 tag=$2 ctx=$3 hash
  shift 3
  hash=$(recipe_hash "$RECIPES/$name"/* "$("$DOCKER" image inspect -f '{{.Id}}' "$BASE")" "$@")
  if current "$tag" "$hash"; then
    echo "$tag"
    return
  fi
  say "building $tag (log: $WORK/$name.log)"
  local args=()
  for a in "$@"; do [[ $a == *=* ]] && args+=(--build-arg "$a"); done
  "$DOCKER" build --network host --build-arg "BASE=$BASE" "${args[@]}" --label "$LABEL=$hash" -t "$tag" "$ctx" \
    >"$WORK/$name.log" 2>&1 || {
    tail -20 "$WORK/$name.log" >&2
    die "the $name stand-in did not build"
  }
  echo "$tag"
}

# The folder holding include/node for the node binary $1: beside it (/usr, /usr/local), or the
# node-<os>-<arch> package that the npm package node@24 installs it from.
node_headers_prefix() {
  local dir candidate
  dir=$(dirname "$(dirname "$1")")
  for candidate in "$dir" "$dir"/node_modules/node-*; do
    if [ -f "$candidate/include/node/node_version.h" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

registry_headers() { # version -> a folder holding include/node, from the npm registry's node-linux-<arch>
  local arch dir
  case $(uname -m) in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) return 1 ;; esac
  dir=$WORK/node-headers-$1
  if [ ! -f "$dir/package/include/node/node_version.h" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-$arch@$1" >/dev/null && tar -xzf node-linux-*.tgz package/include) >&2 ||
      return 1
  fi
  echo "$dir/package"
}

node_context() { # -> a build context with this machine's Node 24 and npm
  local version real prefix npmdir ctx
  # The binary itself: the node on PATH when it is 24 (under pnpm, a shell script that runs the
  # devDependency's binary), else the repository's node@24 devDependency that pnpm install brought.
  real=$(readlink -f "$(node -p process.execPath 2>/dev/null)" 2>/dev/null || true)
  case $("${real:-false}" -p process.versions.node 2>/dev/null) in
    24.*) ;;
    *) real=$(readlink -f "$HERE/../../node_modules/node/bin/node" 2>/dev/null || true) ;;
  esac
  version=$("${real:-false}" -p process.versions.node 2>/dev/null || true)
  case $version in 24.*) ;; *) die "the node stand-in needs Node 24: run pnpm install in the repository first" ;; esac
  # pnpm restores node@24 from its store without the package its install script fetched the headers
  # with: then the same package comes from the npm registry, once.
  prefix=$(node_headers_prefix "$real") || prefix=$(registry_headers "$version") ||
    die "no headers (include/node) for Node $version: not beside $real, nor from the npm registry"
  npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$npmdir/package.json" ] || die "npm not found beside $(command -v npm)"
  ctx=$WORK/node-context
  rm -rf "$ctx"
  mkdir -p "$ctx/include"
  cp "$RECIPES/node/"* "$ctx/"
  cp "$real" "$ctx/node"
  cp -a "$prefix/include/node" "$ctx/include/node"
  cp -a "$npmdir" "$ctx/npm"
  echo "$ctx" "$version" "$(sha256sum "$real" | cut -c1-16)" "$("$real" -p "require('$npmdir/package.json').version")"
}

build_base
for name in "$@"; do
  case $name in
    node)
      read -r ctx version binhash npmversion < <(node_context)
      echo "NODE_IMAGE=$(build_recipe node wxauth-standin/node:24 "$ctx" "NODE_VERSION=$version" "$binhash" "$npmversion")"
      ;;
    nginx) echo "NGINX_IMAGE=$(build_recipe nginx wxauth-standin/nginx:stable "$RECIPES/nginx")" ;;
    mariadb) echo "MYSQL_IMAGE=$(build_recipe mariadb wxauth-standin/mariadb:10.11 "$RECIPES/mariadb")" ;;
    redis) echo "REDIS_IMAGE=$(build_recipe redis wxauth-standin/redis:7 "$RECIPES/redis")" ;;
    *) die "unknown stand-in: $name (node, nginx, mariadb, redis)" ;;
  esac
done
