#!/usr/bin/env bash
# The one build: the Dockerfile runs it, and so does CI, so what CI checks is what the image holds.
#   out/bff   the BFF with its production dependencies only (pnpm deploy)
#   web/dist  the H5 app, with public/ (MP_verify_*.txt) at its root
#   examples/uni-app/dist/build/h5  the uni-app example's H5 build, with its public/ at its root too
#   examples/uni-app/dist/build/mp-weixin  the same example built for a WeChat mini program
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm install --frozen-lockfile
pnpm build
test -f web/dist/index.html
ls web/dist/MP_verify_*.txt >/dev/null
# uni-app copies only src/static/ (to /static/): the example puts its public/ at the root, where WeChat looks.
ls examples/uni-app/dist/build/h5/MP_verify_*.txt >/dev/null
# The same sources build for a WeChat mini program (scripts/test-uni-app-mp.mjs checks what it holds).
test -f examples/uni-app/dist/build/mp-weixin/app.json
rm -rf out
pnpm --filter @wxauth/bff deploy --prod --legacy out/bff
# The simulator is the demo's and the tests': a production build must not carry it.
if [ -e out/bff/node_modules/@wxauth/wechat-sim ]; then
  echo "out/bff contains the WeChat simulator: it must be a devDependency of @wxauth/bff" >&2
  exit 1
fi
