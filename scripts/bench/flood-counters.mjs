// The per-address flood counters' memory, alone: `node --expose-gc scripts/bench/flood-counters.mjs
// <bff/dist> [addresses]`. Counts each of `addresses` new IPv4 addresses (198.18.0.0/15, as
// `pnpm bench:login` sends them) against two budgets of a minute, as a flood of new addresses does,
// then prints the V8 heap and the ArrayBuffers it holds (live, after a full collection) and the RSS
// it grew by. Given another build's dist (a worktree's), compares the two.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist = 'bff/dist', n = '60000'] = process.argv.slice(2);
if (typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc scripts/bench/flood-counters.mjs <bff/dist> [addresses]');
  process.exit(2);
}
const { createMemoryLimits } = await import(pathToFileURL(join(resolve(dist), 'adapters/kv/memoryLimits.js')).href);
const used = () => {
  globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
};
const before = used();
const limits = createMemoryLimits();
const N = Number(n);
const started = performance.now();
for (let i = 0; i < N; i++) {
  const ip = `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  limits.hit('authorize', ip, 60, 60_000);
  limits.hit('login', ip, 60, 60_000);
}
const ms = performance.now() - started;
const after = used();
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;
const live = after.heap - before.heap + after.buffers - before.buffers;
console.log(
  `${dist}: ${N} addresses × 2 budgets (${limits.size} counters): live ${mb(live)} (heap ${mb(after.heap - before.heap)}, ArrayBuffers ${mb(after.buffers - before.buffers)}), ${(live / limits.size) | 0} bytes a counter; RSS +${mb(after.rss - before.rss)}; ${((ms * 1000) / (2 * N)).toFixed(2)} µs a hit`,
);
