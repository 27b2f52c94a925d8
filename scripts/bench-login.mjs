// pnpm bench:login — logins per second and latency of POST /api/auth/wechat/login against the
// simulator on loopback, beside a bare node:http handler making the same upstream call (the floor),
// measured in one run, interleaved; and the BFF's peak RSS under that load.
// Every target first answers --warmup logins (untimed, in rounds interleaved as the timed ones are): the
// JIT compilers take some 10,000 logins to settle, and CPU per login falls by a third (the fetch
// floor's by half) until they have; the figures are those of the processes once settled.
// Usage: pnpm bench:login [--requests 4000 --concurrency 32 --rounds 5 --warmup 12000 --bff-node-options=… --long --mint-apart]
// (`pnpm bench:login -- --requests 3000` works too: pnpm 10 passes the `--` on, and it is skipped.)
import { fork } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bffEnv as benchBffEnv, freePort, httpWith, starter, waitFor as waitForUrl } from './bench/process.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    requests: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    // Node options for the BFF alone, e.g. --bff-node-options=--max-old-space-size=96
    'bff-node-options': { type: 'string', default: '' },
    // The memory run: one round of 60,000 logins (unless --requests says otherwise), default settings.
    long: { type: 'boolean', default: false },
    'mint-apart': { type: 'boolean', default: false },
  },
});
const N = Number(args.requests ?? (args.long ? 60_000 : 4000));
const C = Number(args.concurrency);
const ROUNDS = Number(args.rounds ?? (args.long ? 1 : 5));
// Untimed logins per target first: three rounds' worth, 12,000 at the defaults (500 for the memory run).
const WARMUP = Number(args.warmup ?? (args.long ? 500 : Math.min(12_000, 3 * N)));
const [SIM_PORT, BFF_PORT, FLOOR_PORT, FLOOR_HTTP_PORT, MINT_PORT] = [
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
];
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const BFF = `http://127.0.0.1:${BFF_PORT}`;
const FLOOR = `http://127.0.0.1:${FLOOR_PORT}`;
const FLOOR_HTTP = `http://127.0.0.1:${FLOOR_HTTP_PORT}`;
const APPID = 'wx00000000000000de';
const SECRET = 'demoOfficialAccountSecret0000000';
const PUBLIC_URL = `http://localhost:${BFF_PORT}`;

const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
const children = [];
const dataDir = mkdtempSync(join(tmpdir(), 'wxauth-bench-'));
process.on('exit', () => {
  for (const c of children) c.kill(process.env.BENCH_PROF ? 'SIGINT' : 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const http = httpWith(agent);
const waitFor = (url) => waitForUrl(http, url);
const start = starter(children);

// A virtual user's IP, from the benchmarking range (RFC 2544), carried only in X-Forwarded-For.
const ipOf = (i) => `198.18.${(i >> 8) & 255}.${i & 255}`;
const userOf = (i) => `bench${i % 1000}`;

/** A code and state for the BFF, as a browser would hold them on its way back from WeChat. */
async function bffFlow(i) {
  const start = await http('GET', `${MINT}/api/auth/wechat/authorize`, { headers: { 'x-forwarded-for': ipOf(i) } });
  const cookie = start.headers['set-cookie'].map((c) => c.split(';')[0]).join('; ');
  const simUrl = start.headers.location.replace(/#.*$/, '') + `&wxsim_user=${userOf(i)}`;
  const back = new URL((await http('GET', simUrl)).headers.location);
  const body = JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') });
  return { cookie, body, ip: ipOf(i) };
}

/** A code for the floor, straight from the simulator. */
async function floorFlow(i) {
  const q = new URLSearchParams({
    appid: APPID,
    redirect_uri: `${PUBLIC_URL}/auth`,
    response_type: 'code',
    scope: 'snsapi_base',
    state: 'bench',
  });
  const back = new URL(
    (await http('GET', `${SIM}/connect/oauth2/authorize?${q}&wxsim_user=${userOf(i)}`)).headers.location,
  );
  return { body: JSON.stringify({ code: back.searchParams.get('code') }) };
}

async function prepare(n, make) {
  const flows = [];
  for (let i = 0; i < n; i += 64)
    flows.push(...(await Promise.all(Array.from({ length: Math.min(64, n - i) }, (_, j) => make(i + j)))));
  return flows;
}

async function load(url, flows, pid) {
  const cpuBefore = cpuSeconds(pid);
  const latencies = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < flows.length) {
        const f = flows[next++];
        const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(f.body) };
        if (f.cookie) headers.cookie = f.cookie;
        if (f.ip) headers['x-forwarded-for'] = f.ip;
        const s = performance.now();
        const res = await http('POST', url, { headers, body: f.body });
        latencies.push(performance.now() - s);
        if (res.status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / flows.length;
  return { rps: flows.length / seconds, p50: pct(50), p99: pct(99), errors, cpuMs };
}

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

start(process.execPath, ['wechat-sim/dist/cli.js'], {
  WXSIM_PORT: String(SIM_PORT),
  WXSIM_CALLBACK_DOMAIN: 'localhost',
});
const bffNodeOptions = args['bff-node-options'].split(' ').filter(Boolean);
const bffEnv = {
  ...benchBffEnv({ port: BFF_PORT, publicUrl: PUBLIC_URL, sim: SIM, appid: APPID, secret: SECRET }),
  DATABASE_URL: `sqlite:${join(dataDir, 'bench.db')}`,
  NODE_ENV: 'production',
};
// BENCH_PROF=<dir> writes a CPU profile of the BFF there. So that it holds the logins alone, a second
// BFF on the same SQLite file (its state included) mints the flows the logins finish; --mint-apart
// does that alone (for a profile taken from outside, `perf record -p`). It starts once the first has
// migrated the file.
const profile = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
const bff = start(process.execPath, [...bffNodeOptions, ...profile, 'bff/dist/server.js'], bffEnv);
const apart = profile.length > 0 || args['mint-apart'];
const MINT = apart ? `http://127.0.0.1:${MINT_PORT}` : BFF;
if (apart) {
  await waitFor(`${BFF}/healthz`);
  start(process.execPath, ['bff/dist/server.js'], { ...bffEnv, PORT: String(MINT_PORT) });
}
// The floor as the issue defined it (fetch), and the same with node:http as its client, as the BFF's.
const floorWith = (client, port) => {
  const child = fork('scripts/bench/floor.mjs', {
    env: { ...process.env, PORT: String(port), SIM, APPID, SECRET, FLOOR_CLIENT: client },
    stdio: 'inherit',
  });
  children.push(child);
  return child;
};
const floor = floorWith('fetch', FLOOR_PORT);
const floorHttp = floorWith('http', FLOOR_HTTP_PORT);
await Promise.all([
  waitFor(`${SIM}/__sim/stats`),
  waitFor(`${BFF}/healthz`),
  waitFor(`${MINT}/healthz`),
  waitFor(`${FLOOR}/`),
  waitFor(`${FLOOR_HTTP}/`),
]);

const roundLine = (label, x) =>
  `${label}: floor ${x.floor.rps.toFixed(0)}/s ${x.floor.cpuMs.toFixed(3)} ms, floor (node:http) ${x.floorHttp.rps.toFixed(0)}/s ${x.floorHttp.cpuMs.toFixed(3)} ms, bff ${x.bff.rps.toFixed(0)}/s ${x.bff.cpuMs.toFixed(3)} ms (logins/s, CPU per login)`;

// The BFF's event-loop delay while it answers logins (perf_hooks.monitorEventLoopDelay through
// prom-client's default metrics, which start it again at each scrape): its max and p99 per round.
const metric = (text, name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const loopDelay = async () => {
  const text = (await http('GET', `${BFF}/metrics`)).body;
  return {
    max: metric(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
    p99: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
  };
};

/** One round: `n` logins on each target in turn, with fresh flows prepared first (not timed). */
async function round(n) {
  const floorRun = await load(`${FLOOR}/`, await prepare(n, floorFlow), floor.pid);
  const floorHttpRun = await load(`${FLOOR_HTTP}/`, await prepare(n, floorFlow), floorHttp.pid);
  const flows = await prepare(n, bffFlow);
  await loopDelay();
  const bffRun = await load(`${BFF}/api/auth/wechat/login`, flows, bff.pid);
  return { floor: floorRun, floorHttp: floorHttpRun, bff: bffRun, delay: await loopDelay() };
}

console.error(`warming up: ${WARMUP} logins each, in rounds of at most ${N}, untimed…`);
for (let done = 0, w = 1; done < WARMUP; done += N, w++)
  console.error(roundLine(`warm-up ${w}`, await round(Math.min(N, WARMUP - done))));

const results = { floor: [], floorHttp: [], bff: [] };
const delays = [];
for (let r = 1; r <= ROUNDS; r++) {
  const x = await round(N);
  for (const k of Object.keys(results)) results[k].push(x[k]);
  delays.push(x.delay);
  console.error(roundLine(`round ${r}/${ROUNDS}`, x));
}
const summary = (runs) => ({
  rps: median(runs.map((x) => x.rps)),
  p50: median(runs.map((x) => x.p50)),
  p99: median(runs.map((x) => x.p99)),
  errors: runs.reduce((s, x) => s + x.errors, 0),
  cpuMs: median(runs.map((x) => x.cpuMs)),
});
const f = summary(results.floor);
const fh = summary(results.floorHttp);
const b = summary(results.bff);
const rss = peakRss(bff.pid);
// What the memory is, from the BFF's own metrics: V8's heap (used of its size), and outside it.
const metricsText = (await http('GET', `${BFF}/metrics`)).body;
const mb = (name) => metric(metricsText, name) / 2 ** 20;
const heap = {
  used: mb('nodejs_heap_size_used_bytes'),
  total: mb('nodejs_heap_size_total_bytes'),
  external: mb('nodejs_external_memory_bytes'),
};
const rssNow = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${bff.pid}/status`, 'utf8'))[1]) / 1024;
const row = (name, s) =>
  `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.cpuMs.toFixed(3)} | ${s.errors} |`;
console.log(`
${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0].model} · ${ROUNDS} rounds × ${N} logins, concurrency ${C} (medians), after ${WARMUP} untimed each${bffNodeOptions.length ? ` · BFF with ${bffNodeOptions.join(' ')}` : ''}

| target | logins/s | p50 ms | p99 ms | server CPU ms/login | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('floor (bare node:http + code exchange)', f)}
${row('floor, its code exchange over node:http', fh)}
${row('BFF POST /api/auth/wechat/login', b)}

- throughput ratio BFF / floor: **${(b.rps / f.rps).toFixed(2)}** (target ≥ 0.80); CPU per login BFF / floor: ${(b.cpuMs / f.cpuMs).toFixed(2)} (target ≤ 1.25)
- the same against the floor with the BFF's client (node:http): throughput ${(b.rps / fh.rps).toFixed(2)}, CPU ${(b.cpuMs / fh.cpuMs).toFixed(2)}
- p99 overhead: **${(b.p99 - f.p99).toFixed(2)} ms** (target ≤ 2 ms)
- the BFF's event-loop delay during its rounds (monitorEventLoopDelay): max ${delays.map((d) => d.max.toFixed(1)).join(' / ')} ms, p99 ${delays.map((d) => d.p99.toFixed(1)).join(' / ')} ms
- BFF peak RSS: **${rss.toFixed(0)} MB** (target ≤ 150 MB); at the end: ${rssNow.toFixed(0)} MB (V8 heap ${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB, external ${heap.external.toFixed(0)} MB)
`);
process.exit(b.errors + f.errors + fh.errors > 0 ? 1 : 0);
