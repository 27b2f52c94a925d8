// Where a CPU profile's busy time went: `node scripts/bench/profile.mjs <file.cpuprofile> [top]`.
// Self time by area (a package, a file of the BFF, Node's internals, native code, GC) and the top
// functions, as shares of the busy (non-idle) samples. Used for docs/reference/benchmarks.md's breakdowns.
import { readFileSync } from 'node:fs';

const [file, topArg = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/bench/profile.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
// timeDeltas[i] is the time before samples[i]: the time of the sample is charged to the node it hit.
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}

/** The area a function belongs to, from its script's URL. */
function area({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : `native: ${functionName || '(anonymous)'}`;
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(bff|wechat-sim|contract)\/(?:dist|src)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2].replace(/\.js$/, '')}`;
  if (url.startsWith('node:internal/deps/undici')) return 'undici (Node built-in)';
  if (url.startsWith('node:'))
    return `node: ${
      url
        .slice(5)
        .replace(/^internal\//, '')
        .split('/')[0]
    }`;
  return url;
}

const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

let busy = 0;
const byArea = new Map();
const underArea = new Map();
const byFunction = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = nodes.get(id);
  if (callFrame.functionName === '(idle)') continue;
  busy += us;
  const a = area(callFrame);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const where = callFrame.url ? `${a}:${callFrame.lineNumber + 1}` : a;
  const name = `${callFrame.functionName || '(anonymous)'} (${where})`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  // Total time: charged once to every area on the sample's stack (what runs under it included).
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) seen.add(area(nodes.get(n).callFrame));
  for (const s of seen) underArea.set(s, (underArea.get(s) ?? 0) + us);
}

const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const table = (map, top) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${pct(us)}  ${k}`)
    .join('\n');
console.log(`busy: ${(busy / 1000).toFixed(0)} ms of ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms`);
console.log(`\nself time by area:\n${table(byArea, 30)}`);
console.log(
  `\ntotal time by area of the BFF and its packages (what they call included):\n${table(
    new Map([...underArea].filter(([k]) => !k.startsWith('(') && !k.startsWith('node:') && !k.startsWith('native'))),
    30,
  )}`,
);
console.log(`\ntop functions by self time:\n${table(byFunction, Number(topArg))}`);
