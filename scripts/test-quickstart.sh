#!/usr/bin/env bash
# pnpm test:quickstart — the README's Quick start, run as written, the way a newcomer runs it: in a
# scratch clone of this repository's HEAD (commit first: uncommitted changes are not in it), with a
# fresh HOME (no pnpm store, no npm cache, nothing set aside before), and on the machine's own Node,
# whatever its version: pnpm puts this workspace's Node 24 first on PATH, so it is taken off again.
#
# Up to the demo answering /healthz; then Ctrl-C, as a person stops it: exit 0 and no pnpm error.
# The ports come from PORT and WXSIM_PORT (free ones), so a demo already running here is no matter.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
say() { echo "test:quickstart: $*" >&2; }
fail() {
  echo "test:quickstart: FAILED: $*" >&2
  [ -f "${LOG:-}" ] && { echo "--- the last lines of what it printed:" >&2; tail -40 "$LOG" >&2; }
  exit 1
}

# The first sh block after "## Quick start", its first line: the install and the demo (the second,
# `pnpm test`, is the suite that runs this).
BLOCK=$(awk '/^## Quick start/ { on = 1 } on && /^```sh/ { inside = 1; next } inside && /^```/ { exit } inside { print }' README.md)
LINE=$(printf '%s\n' "$BLOCK" | head -1)
[ -n "$LINE" ] || fail "README.md has no sh block after '## Quick start'"
case $LINE in *"pnpm start"*) ;; *) fail "the Quick start's first line does not start the demo: $LINE" ;; esac

# The machine's PATH, without any node_modules/.bin that pnpm put in front of it.
MACHINE_PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v 'node_modules/\.bin' | paste -sd: -)
MACHINE_NODE=$(PATH=$MACHINE_PATH node --version)

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/wxauth-quickstart.XXXXXX")
LOG=$SCRATCH/out.log
PID=
cleanup() {
  [ -n "$PID" ] && kill -KILL -- "-$PID" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
git clone --quiet "$ROOT" "$SCRATCH/wxauth"
mkdir -p "$SCRATCH/home"

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PORT=$(free_port)
WXSIM_PORT=$(free_port)
say "on the machine's node $MACHINE_NODE, HOME=$SCRATCH/home, ports $PORT and $WXSIM_PORT: $LINE"

# Only what a person's shell has: no npm_* or PNPM_* from the pnpm that runs this test. Proxy and CA
# settings are the machine's, and go along.
ENV=(HOME="$SCRATCH/home" PATH="$MACHINE_PATH" LANG="${LANG:-C.UTF-8}" TERM="${TERM:-dumb}" PORT="$PORT" WXSIM_PORT="$WXSIM_PORT")
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -n "${!v:-}" ] && ENV+=("$v=${!v}")
done
STARTED=$(date +%s)
# Job control: the demo gets a process group of its own, with SIGINT not ignored (a shell without it
# starts background commands with SIGINT ignored, unlike a terminal's foreground).
set -m
(cd "$SCRATCH/wxauth" && exec env -i "${ENV[@]}" bash -c "$LINE") >"$LOG" 2>&1 &
PID=$!
set +m

up=0
for _ in $(seq 1 600); do
  kill -0 "$PID" 2>/dev/null || fail "the demo stopped before answering /healthz"
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
    up=1
    break
  fi
  sleep 1
done
[ $up = 1 ] || fail "no answer from /healthz after 10 minutes"
say "/healthz answered after $(($(date +%s) - STARTED)) s"

# Ctrl-C: the terminal's SIGINT goes to the whole foreground group.
kill -INT -- "-$PID"
code=0
for _ in $(seq 1 30); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$PID" 2>/dev/null && fail "still running 15 s after Ctrl-C"
wait "$PID" || code=$?
PID=
[ "$code" = 0 ] || fail "stopped with Ctrl-C, it exited $code (a stopped demo exits 0)"
if grep -E 'ELIFECYCLE|Update available|ERR_PNPM' "$LOG" >&2; then fail "pnpm's noise in what it printed"; fi
# pnpm's banner shows only once it has seen a newer release: the repository's .npmrc turns it off.
notifier=$(cd "$SCRATCH/wxauth" && env -i "${ENV[@]}" pnpm config get update-notifier)
[ "$notifier" = false ] || fail "pnpm's update banner is on in the clone (update-notifier=$notifier)"
grep -q 'DEMO MODE' "$LOG" || fail "the demo did not say it is the demo"
echo "test:quickstart: 1 passed, 0 failed ($(($(date +%s) - STARTED)) s, machine node $MACHINE_NODE)"
