#!/usr/bin/env bash
# pnpm test:docker — builds both images with the Dockerfile users build, runs them, then runs
# docs/docker-compose.yml (two BFFs on MySQL and Redis), and checks what a deployment relies on
# (scripts/test-docker.mjs). Part of pnpm test, and so of CI.
#
# Sets up what it needs: docker.io from Debian if there is no Docker, dockerd if none runs, Compose v2
# (Debian's docker-compose plugin) if `docker compose` is missing. Base images: the official ones when
# they can be pulled, else local stand-ins built from Debian's packages (scripts/docker/standins.sh),
# given to the Dockerfile and the compose file through their image arguments. The npm registry this
# machine uses and its extra CA certificates (/usr/local/share/ca-certificates, or WXAUTH_EXTRA_CA) go
# in as the build argument and the build secret. Stand-ins and the build cache stay between runs.
#
# Runs may share a daemon (a second clone, CI beside a developer): setting Docker up (installing it, dockerd,
# Compose, the stand-ins) is one run at a time, under a lock; the checks then run side by side, each with
# its own names, labels, networks and ports (scripts/test-docker.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STARTED=$(date +%s)
WORK=${WXAUTH_DOCKER_WORK:-/tmp/wxauth-docker-test}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/wxauth
mkdir -p "$WORK" "$CACHE"
say() { echo "test:docker: $*" >&2; }
die() {
  echo "test:docker: $*" >&2
  exit 1
}

# Two runs setting Docker up at once would race apt and debootstrap, and build the same stand-in tags.
# Opened read-only, so any user's run can take the lock (the file may be another user's).
LOCK=${WXAUTH_DOCKER_LOCK:-/tmp/wxauth-docker-setup.lock}
if command -v flock >/dev/null; then
  [ -e "$LOCK" ] || (umask 022 && : >>"$LOCK")
  exec {lock}<"$LOCK"
  flock -n "$lock" || {
    say "waiting for another run to finish setting Docker up ($LOCK)"
    flock "$lock"
  }
fi

# ---------------------------------------------------------------- Docker itself
root=0
[ "$(id -u)" -eq 0 ] && root=1
cannot() {
  die "$1
Docker is part of pnpm test. Run it as root (it installs Debian's docker.io and starts dockerd), or
start dockerd and give this user access to it (the docker group). Without Docker, run the other
suites alone: pnpm test:unit && pnpm test:e2e"
}
if ! command -v dockerd >/dev/null && ! command -v docker >/dev/null; then
  [ $root = 1 ] || cannot "there is no Docker on this machine, and installing it needs root."
  say "installing docker.io from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
fi

# A client that builds with BuildKit: one with the buildx plugin, or one from before Docker 23, whose
# BuildKit is built in (Debian's docker.io). A newer one without buildx cannot.
pick_docker() {
  local d
  for d in $(type -ap docker) /usr/bin/docker; do
    [ -x "$d" ] || continue
    if "$d" buildx version >/dev/null 2>&1; then echo "$d" && return; fi
    case "$("$d" version -f '{{.Client.Version}}' 2>/dev/null)" in 1[0-9].* | 2[0-2].*) echo "$d" && return ;; esac
  done
  return 1
}
if ! DOCKER=$(pick_docker); then
  [ $root = 1 ] || cannot "no docker client here can build with BuildKit (install the buildx plugin)."
  say "installing docker.io from Debian (its client builds with BuildKit)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
  DOCKER=$(pick_docker) || die "no docker client that builds with BuildKit, even after installing docker.io"
fi
export DOCKER DOCKER_BUILDKIT=1

if ! info=$("$DOCKER" info 2>&1 >/dev/null); then
  [ $root = 1 ] || cannot "dockerd is not running, or this user may not use it: $info"
  command -v dockerd >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
  }
  say "starting dockerd (log: $WORK/dockerd.log)"
  # dockerd outlives this script: it keeps none of our descriptors open (a `flock` lock held by whoever
  # ran the tests would otherwise stay held as long as the daemon runs).
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec nohup dockerd >"$WORK/dockerd.log" 2>&1 </dev/null
  ) &
  for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break || sleep 0.5; done
  info=$("$DOCKER" info 2>&1 >/dev/null) || die "dockerd did not start: $info
$(tail -20 "$WORK/dockerd.log")"
fi

# ---------------------------------------------------------------- Compose v2
# This machine's `docker compose`, else the plugin from Debian's docker-compose package (trixie's: bookworm
# packages only the old Python 1.x), unpacked under $CACHE and found through DOCKER_CONFIG. 2.24.4 or
# later: each run's compose override replaces the file's subnet with `!override`.
compose_ok() {
  local v
  v=$("$DOCKER" compose version --short 2>/dev/null) || return 1
  [ "$(printf '%s\n' 2.24.4 "${v#v}" | sort -V | head -1)" = 2.24.4 ]
}
if ! compose_ok; then
  export DOCKER_CONFIG=$CACHE/docker-config
  plugin=$DOCKER_CONFIG/cli-plugins/docker-compose
  if ! compose_ok; then
    say "fetching Compose v2 from Debian (docker-compose, trixie) into $plugin"
    apt=$WORK/apt
    rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" >"$apt/sources.list"
    opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists"
      -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update -qq >/dev/null
    (cd "$apt/deb" && apt-get "${opts[@]}" download docker-compose >/dev/null)
    dpkg-deb -x "$apt"/deb/docker-compose_*.deb "$apt/x"
    mkdir -p "$(dirname "$plugin")"
    cp "$apt/x/usr/libexec/docker/cli-plugins/docker-compose" "$plugin"
    compose_ok || die "Compose v2 (2.24.4 or later) did not install: $("$DOCKER" compose version 2>&1)"
  fi
fi

# ---------------------------------------------------------------- base images
# The official image when it is here or can be pulled; else the stand-in from Debian's packages.
standins=()
base() { # variable official stand-in-name
  if [ "${WXAUTH_STANDINS:-0}" != 1 ] &&
    { "$DOCKER" image inspect "$2" >/dev/null 2>&1 || timeout 300 "$DOCKER" pull -q "$2" >/dev/null 2>&1; }; then
    export "$1=$2"
  else
    standins+=("$3")
  fi
}
base NODE_IMAGE node:24-bookworm-slim node
base NGINX_IMAGE nginx:stable-alpine nginx
base MYSQL_IMAGE mysql:8.4 mariadb
base REDIS_IMAGE redis:7-alpine redis
if [ ${#standins[@]} -gt 0 ]; then
  [ $root = 1 ] || cannot "the official base images cannot be pulled, and building stand-ins (debootstrap) needs root."
  command -v debootstrap >/dev/null || {
    say "installing debootstrap from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  say "no official ${standins[*]} image to be had: local stand-ins from Debian's packages"
  made=$(DOCKER=$DOCKER bash scripts/docker/standins.sh "${standins[@]}") || die "the stand-in images did not build"
  while IFS= read -r line; do export "${line?}"; done <<<"$made"
fi
say "bases: $NODE_IMAGE, $NGINX_IMAGE, $MYSQL_IMAGE, $REDIS_IMAGE"

# ---------------------------------------------------------------- this machine's npm registry and CA
NPM_REGISTRY=${NPM_REGISTRY:-$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)}
export NPM_REGISTRY
# This run's own copy: a run beside it may be writing its own.
EXTRA_CA_FILE=$(mktemp "$WORK/extra-ca.XXXXXX")
trap 'rm -f "$EXTRA_CA_FILE"' EXIT
if [ -n "${WXAUTH_EXTRA_CA:-}" ]; then
  cp "$WXAUTH_EXTRA_CA" "$EXTRA_CA_FILE"
else
  cat /usr/local/share/ca-certificates/*.crt >"$EXTRA_CA_FILE" 2>/dev/null || : >"$EXTRA_CA_FILE"
fi
export EXTRA_CA_FILE

# ---------------------------------------------------------------- the checks
# Docker is set up: the next run may go on while this one runs its checks.
[ -z "${lock:-}" ] || exec {lock}<&-
set +e
# WXAUTH_DOCKER_CHECKS: another script run on the same setup instead (pnpm bench:memory), with this one's arguments.
node "${WXAUTH_DOCKER_CHECKS:-scripts/test-docker.mjs}" "$@"
status=$?
set -e
say "$(($(date +%s) - STARTED)) s in all (builds, containers, compose)"
exit $status
