#!/usr/bin/env bash
# pnpm bench:memory — Docker set up as pnpm test:docker sets it up (dockerd, the base images: the
# official ones or stand-ins from Debian's packages, this machine's npm registry and CA), then
# scripts/bench-memory.mjs in place of test:docker's checks. Arguments go on to it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" != -- ] || shift
WXAUTH_DOCKER_CHECKS=scripts/bench-memory.mjs exec bash scripts/test-docker.sh "$@"
