#!/usr/bin/env bash
# Trims what `pnpm deploy --prod` leaves in the BFF's folder (out/bff) to what runs, for the bff image:
#   - better-sqlite3 beyond the one binary this platform loads: the other platforms' prebuilt ones,
#     SQLite's C sources, and any compiler output (obj/, sqlite3.a, test_extension.node, config.gypi);
#     node-addon-api, which only compiling needs;
#   - TypeScript and @types/*, pulled in as peers of valibot and mysql2 (types only, never required);
#   - pnpm's own records (.modules.yaml, .pnpm/lock.yaml), which name the registry it installed from.
# Then requires every production dependency once, so a trim too far fails the build, not the container.
set -euo pipefail
dir=${1:?usage: $0 <deployed folder, e.g. out/bff>}
store=$dir/node_modules/.pnpm
[ -d "$store" ] || { echo "$0: $store not found: run pnpm deploy first" >&2; exit 1; }

for pkg in "$store"/better-sqlite3@*/node_modules/better-sqlite3; do
  used=$(cd "$pkg" && node -e "new (require('.'))(':memory:');
    console.log(Object.keys(require.cache).find((f) => f.endsWith('.node')) ?? '')")
  [ -f "$used" ] || { echo "$0: no binary of $pkg loads here" >&2; exit 1; }
  keep=$(mktemp)
  mv "$used" "$keep"
  rm -rf "$pkg/build" "$pkg/prebuilds" "$pkg/deps" "$pkg/src" "$pkg/binding.gyp"
  mkdir -p "$(dirname "$used")"
  mv "$keep" "$used"
done
rm -rf "$store"/node-addon-api@* "$store"/typescript@* "$store"/@types+* "$store/lock.yaml" \
  "$dir/node_modules/.modules.yaml"
# Links to what was removed (node_modules/.bin/tsc, .pnpm/node_modules/typescript) go too.
find "$dir/node_modules" -xtype l -delete

cd "$dir"
node --input-type=module -e "
const { dependencies = {} } = JSON.parse(await (await import('node:fs/promises')).readFile('package.json', 'utf8'));
for (const name of Object.keys(dependencies)) await import(name);
const db = new (await import('better-sqlite3')).default(':memory:');
db.prepare('select 1').get();
console.log('lean-bff: ' + Object.keys(dependencies).length + ' dependencies load, better-sqlite3 runs');
"
