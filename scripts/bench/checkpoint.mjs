// The state store's write load alone, at a fixed rate, and what it does to the event loop: the
// checkpoint's share of the p99 (issue 29). Each "login" writes what a login wrote before issue 29
// (a state; later that state taken, an outcome pending, a session, the outcome done: five commits'
// worth of rows), so the same load runs against any build of bff/dist/adapters/kv/sqlite.js.
// Usage: pnpm exec node scripts/bench/checkpoint.mjs [path/to/adapters/kv/sqlite.js] [--rate 3000 --seconds 10 --keys random|time]
//   --main-thread-checkpoint: also times a PASSIVE checkpoint run on this thread every second, from a
//   connection of its own (where the store ran it before issue 29): how long it held the event loop.
// e.g. against an earlier commit's build, from a worktree of it:
//   git worktree add /tmp/before 1801a5b && (cd /tmp/before && pnpm install && pnpm build)
//   pnpm exec node scripts/bench/checkpoint.mjs /tmp/before/bff/dist/adapters/kv/sqlite.js
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rate: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '10' },
    'main-thread-checkpoint': { type: 'boolean', default: false },
    // random: the keys of the login before its keys grew with time; time: the login's keys since.
    keys: { type: 'string', default: 'random' },
  },
});
const modulePath = resolve(positionals[0] ?? 'bff/dist/adapters/kv/sqlite.js');
const { openSqliteKv } = await import(pathToFileURL(modulePath).href);
// better-sqlite3 as the BFF resolves it.
const { default: SQLite } = await import(
  pathToFileURL(createRequire(join(dirname(modulePath), '../../../package.json')).resolve('better-sqlite3')).href
);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);

const dir = mkdtempSync(join(tmpdir(), 'wxauth-checkpoint-'));
const kv = openSqliteKv(join(dir, 'state.db'));
const checkpoints = [];
if (args['main-thread-checkpoint']) {
  const db = new SQLite(join(dir, 'state.db'));
  db.pragma('busy_timeout = 0');
  setInterval(() => {
    const s = performance.now();
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy: as the store did, the next one copies it
    }
    checkpoints.push(performance.now() - s);
  }, 1000).unref();
}
const id = () => randomBytes(24).toString('base64url');
// A state and a session key as the BFF makes them since: the time first (base 36, fixed width), then
// randomness, so new rows land beside the last ones (bff/src/platform/random.ts, features/session).
const timeFirst = args.keys === 'time';
if (!timeFirst && args.keys !== 'random') throw new Error('--keys is random or time');
const keyOf = () => (timeFirst ? `${Date.now().toString(36).padStart(9, '0')}${id()}` : id());
const flow = { appid: 'wx00000000000000de', scope: 'snsapi_base', returnTo: '/', browser: id() };

async function login() {
  const state = keyOf();
  await kv.set(`state:${state}`, flow, 600_000);
  await kv.take(`state:${state}`);
  const base = { browser: flow.browser, codeHash: id() };
  await kv.set(`login:${state}`, { status: 'pending', ...base }, 300_000);
  const session = keyOf();
  await kv.set(
    `sess:${session}`,
    { identityId: 1, createdAt: Date.now(), lastSeenAt: Date.now(), returnTo: '/' },
    3_600_000,
  );
  await kv.set(
    `login:${state}`,
    { status: 'done', ...base, sessionId: session, identityId: 1, returnTo: '/' },
    300_000,
  );
}

// A warm-up second, then the measured ones.
const delay = monitorEventLoopDelay({ resolution: 1 });
let done = 0;
const run = (seconds) =>
  new Promise((resolveRun) => {
    const t0 = performance.now();
    let issued = 0;
    const tick = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      const due = Math.min(Math.floor(elapsed * RATE), seconds * RATE);
      for (; issued < due; issued++) void login().then(() => done++);
      if (elapsed >= seconds) {
        clearInterval(tick);
        resolveRun();
      }
    }, 1);
  });
await run(1);
await new Promise((r) => setTimeout(r, 200));
done = 0;
delay.enable();
const cpu0 = process.cpuUsage();
await run(SECONDS);
delay.disable();
const cpu = process.cpuUsage(cpu0);
await new Promise((r) => setTimeout(r, 200));
const ms = (ns) => (ns / 1e6).toFixed(1);
console.log(
  `${modulePath}: ${args.keys} keys, ${RATE} logins/s (${RATE * 5} writes/s) for ${SECONDS} s, ${done} done · load ${loadavg()[0].toFixed(1)} · node ${process.version}
event-loop delay (monitorEventLoopDelay, 1 ms resolution): p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, p99.9 ${ms(delay.percentile(99.9))} ms, max ${ms(delay.max)} ms · CPU ${((cpu.user + cpu.system) / 1000 / (SECONDS * RATE)).toFixed(3)} ms/login`,
);
if (checkpoints.length) {
  checkpoints.sort((a, b) => a - b);
  console.log(
    `a PASSIVE checkpoint on this thread, once a second: median ${checkpoints[checkpoints.length >> 1].toFixed(1)} ms, max ${checkpoints.at(-1).toFixed(1)} ms (${checkpoints.length})`,
  );
}
await kv.close();
rmSync(dir, { recursive: true, force: true });
