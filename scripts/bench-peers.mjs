// pnpm bench:peers — the same WeChat login (snsapi_userinfo: the code exchanged, the profile read, a
// session created and then answered) through Auth.js (@auth/core's built-in WeChat provider, its default
// session strategy; scripts/bench/peers/authjs-server.mjs) and through wxauth (the built BFF, real mode,
// SQLite), against the same simulator on loopback, in interleaved rounds of one run.
// Every peer first makes --warmup logins, untimed (three rounds' worth by default): CPU per login falls
// by a third or more while the JIT compilers settle, and the figures are of processes that have.
// Usage: pnpm bench:peers [--requests 2000 --concurrency 32 --rounds 3 --warmup 6000]
//
// A login is two timed legs, as a browser makes them, with WeChat's page in between (not timed):
//   start   wxauth: GET /api/auth/wechat/authorize · Auth.js: GET /auth/csrf, POST /auth/signin/wechat
//   finish  wxauth: POST /api/auth/wechat/login, GET /api/session · Auth.js: GET /auth/callback/wechat,
//           GET /auth/session
// Auth.js's authorize URL is one WeChat refuses (its state is longer than 128 bytes and not [A-Za-z0-9]):
// the script shows the simulator's answer to it, then has the simulator issue the code for the same
// app, callback and scope with a state WeChat takes, and returns to Auth.js with Auth.js's own state, so
// that everything Auth.js does is measured as it is.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bffEnv,
  Jar,
  freePort,
  httpWith,
  median,
  starter,
  status,
  timed as timedAt,
  waitFor as waitForUrl,
} from './bench/process.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string' },
    // CPU profiles of both servers into this folder (node --cpu-prof), for `scripts/bench/profile.mjs`.
    prof: { type: 'string' },
  },
});
const N = Number(args.requests);
const C = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup ?? 3 * N);
const [SIM_PORT, BFF_PORT, AUTHJS_PORT] = [await freePort(), await freePort(), await freePort()];
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const APPID = 'wx00000000000000de';
const SECRET = 'demoOfficialAccountSecret0000000';
// Both are reached as localhost: the simulator's callback domain for this app.
const BFF = `http://localhost:${BFF_PORT}`;
const AUTHJS = `http://localhost:${AUTHJS_PORT}`;

const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
const children = [];
const dataDir = mkdtempSync(join(tmpdir(), 'wxauth-peers-'));
process.on('exit', () => {
  for (const c of children) c.kill(args.prof ? 'SIGINT' : 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});
const http = httpWith(agent);
const start = starter(children);
const timed = (items, fn, pid) => timedAt(items, fn, pid, C);

// A virtual user: a follower of the Official Account (WeChat asks a follower no consent for
// snsapi_userinfo), 1,000 of them; and an address from the benchmarking range, in X-Forwarded-For only.
const userOf = (i) => `follower-bench${i % 1000}`;
const ipOf = (i) => `198.18.${(i >> 8) & 255}.${i & 255}`;

/** WeChat's page: the user (a follower) is sent straight back with a code. */
async function atWechat(authorizeUrl, i) {
  const res = await http('GET', `${authorizeUrl.replace(/#.*$/, '')}&wxsim_user=${userOf(i)}`);
  if (res.status !== 302) throw new Error(`the simulator refused: ${res.status} ${res.body.slice(0, 300)}`);
  return new URL(res.headers.location);
}

const wxauth = {
  name: 'wxauth',
  async start(i) {
    const jar = new Jar();
    const headers = { 'x-forwarded-for': ipOf(i) };
    const res = jar.take(
      await http('GET', `${BFF}/api/auth/wechat/authorize?scope=snsapi_userinfo&returnTo=%2F`, { headers }),
    );
    if (res.status !== 302) throw new Error(`wxauth authorize: ${res.status} ${res.body}`);
    return { i, jar, authorizeUrl: res.headers.location };
  },
  async wechat(flow) {
    const back = await atWechat(flow.authorizeUrl, flow.i);
    flow.body = JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') });
  },
  async finish(flow) {
    const headers = { 'content-type': 'application/json', 'x-forwarded-for': ipOf(flow.i), cookie: flow.jar.header };
    const login = flow.jar.take(await http('POST', `${BFF}/api/auth/wechat/login`, { headers, body: flow.body }));
    if (login.status !== 200) return false;
    const session = await http('GET', `${BFF}/api/session`, {
      headers: { cookie: flow.jar.header, 'x-forwarded-for': ipOf(flow.i) },
    });
    return session.status === 200 && JSON.parse(session.body).user.nickname === `微信用户${userOf(flow.i)}`;
  },
};

/** What the simulator, as WeChat, answers Auth.js's own authorize URL: kept for the report. */
const refusals = new Map();

const authjs = {
  name: 'Auth.js',
  async start(i) {
    const jar = new Jar();
    const csrf = jar.take(await http('GET', `${AUTHJS}/auth/csrf`));
    const { csrfToken } = JSON.parse(csrf.body);
    const body = new URLSearchParams({ csrfToken, callbackUrl: `${AUTHJS}/` }).toString();
    const res = jar.take(
      await http('POST', `${AUTHJS}/auth/signin/wechat`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header },
        body,
      }),
    );
    if (res.status !== 302) throw new Error(`Auth.js signin: ${res.status} ${res.body}`);
    return { i, jar, authorizeUrl: res.headers.location };
  },
  async wechat(flow) {
    const asked = new URL(flow.authorizeUrl);
    if (refusals.size === 0) await judge(asked, flow.i);
    // The code WeChat would give for this app, callback and scope, with a state it takes.
    const q = asked.searchParams;
    const conforming = new URLSearchParams({
      appid: q.get('appid'),
      redirect_uri: q.get('redirect_uri'),
      response_type: 'code',
      scope: q.get('scope'),
      state: 'authjs',
    });
    const back = await atWechat(`${asked.origin}${asked.pathname}?${conforming}#wechat_redirect`, flow.i);
    if (back.origin + back.pathname !== q.get('redirect_uri')) throw new Error(`back to ${back}`);
    back.searchParams.set('state', q.get('state'));
    flow.callback = back.href;
  },
  async finish(flow) {
    const cb = flow.jar.take(await http('GET', flow.callback, { headers: { cookie: flow.jar.header } }));
    if (cb.status !== 302 || cb.headers.location !== `${AUTHJS}/`) return false;
    const session = flow.jar.take(
      await http('GET', `${AUTHJS}/auth/session`, { headers: { cookie: flow.jar.header } }),
    );
    return session.status === 200 && JSON.parse(session.body)?.user?.name === `微信用户${userOf(flow.i)}`;
  },
};

/** Auth.js's authorize URL as it is, and with WeChat's parameter order: the simulator's answers. */
async function judge(asked, i) {
  const verbatim = await http('GET', `${asked.href}&wxsim_user=${userOf(i)}`);
  const q = asked.searchParams;
  const ordered = new URLSearchParams(
    ['appid', 'redirect_uri', 'response_type', 'scope', 'state'].map((k) => [k, q.get(k)]),
  );
  const inOrder = await http('GET', `${asked.origin}${asked.pathname}?${ordered}&wxsim_user=${userOf(i)}`);
  // The error page's sentence, up to its first full stop.
  const said = (res) =>
    res.status === 302
      ? 'accepted'
      : `refused, 「${[...res.body.matchAll(/<p>([^<]+)<\/p>/g)].at(-1)?.[1].split('。')[0]}」`;
  refusals.set('as sent', said(verbatim));
  refusals.set('reordered', said(inOrder));
  refusals.set('parameters', [...q.keys()].join(', '));
  refusals.set('state', `${q.get('state').length} characters`);
}

async function inBatches(items, size, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** One round of n logins through `peer`: the start leg timed, WeChat's page, the finish leg timed. */
async function round(peer, n, pid) {
  const starts = await timed(
    Array.from({ length: n }, (_, i) => i),
    (i) => peer.start(i),
    pid,
  );
  const flows = starts.out.filter(Boolean);
  await inBatches(flows, 64, (f) => peer.wechat(f));
  const finishes = await timed(flows, (f) => peer.finish(f), pid);
  return {
    rps: n / (starts.seconds + finishes.seconds),
    cpuMs: ((starts.cpu + finishes.cpu) * 1000) / n,
    startP50: starts.p50,
    p50: finishes.p50,
    p99: finishes.p99,
    errors: starts.errors + finishes.errors,
  };
}

const prof = args.prof ? ['--cpu-prof', `--cpu-prof-dir=${args.prof}`] : [];
start(process.execPath, ['wechat-sim/dist/cli.js'], {
  WXSIM_PORT: String(SIM_PORT),
  WXSIM_CALLBACK_DOMAIN: 'localhost',
});
const bff = start(process.execPath, [...prof, 'bff/dist/server.js'], {
  ...bffEnv({ port: BFF_PORT, publicUrl: BFF, sim: SIM, appid: APPID, secret: SECRET }),
  DATABASE_URL: `sqlite:${join(dataDir, 'bench.db')}`,
  NODE_ENV: 'production',
});
const authServer = start(process.execPath, [...prof, 'scripts/bench/peers/authjs-server.mjs'], {
  PORT: String(AUTHJS_PORT),
  SIM,
  APPID,
  SECRET,
  AUTH_SECRET: 'bench-auth-secret-0123456789abcdef0123456789',
  NODE_ENV: 'production',
});
await Promise.all([
  waitForUrl(http, `${SIM}/__sim/stats`),
  waitForUrl(http, `${BFF}/healthz`),
  waitForUrl(http, `${AUTHJS}/healthz`),
]);

// Each server's memory before any login: what loading it costs.
const idleRss = { wxauth: status(bff.pid, 'VmRSS'), 'Auth.js': status(authServer.pid, 'VmRSS') };
const peers = [
  { peer: wxauth, pid: bff.pid },
  { peer: authjs, pid: authServer.pid },
];
const load = () => loadavg()[0].toFixed(2);
const loadAtStart = load();
console.error(`warming up: ${WARMUP} logins each, in rounds of at most ${N}, untimed…`);
for (let done = 0; done < WARMUP; done += N)
  for (const { peer, pid } of peers) await round(peer, Math.min(N, WARMUP - done), pid);

/** The event loop's delay p99 and max (ms) since the last reading, which starts the next. */
const eldOf = {
  async wxauth() {
    const text = (await http('GET', `${BFF}/metrics`)).body;
    const metric = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
    return { p99: metric('nodejs_eventloop_lag_p99_seconds'), max: metric('nodejs_eventloop_lag_max_seconds') };
  },
  'Auth.js': async () => JSON.parse((await http('GET', `${AUTHJS}/__bench/eld`)).body),
};
for (const read of Object.values(eldOf)) await read();
const results = { wxauth: [], 'Auth.js': [] };
for (let r = 1; r <= ROUNDS; r++) {
  // Interleaved, and each round in the other order: both see the same machine.
  for (const { peer, pid } of r % 2 ? peers : [...peers].reverse()) results[peer.name].push(await round(peer, N, pid));
  console.error(
    `round ${r}/${ROUNDS} (load ${load()}): ${Object.entries(results)
      .map(([k, v]) => `${k} ${v.at(-1).rps.toFixed(0)}/s`)
      .join(', ')}`,
  );
}
const eld = { wxauth: await eldOf.wxauth(), 'Auth.js': await eldOf['Auth.js']() };
const summary = (runs, pid, name) => ({
  eld: eld[name],
  idleRss: idleRss[name],
  rps: median(runs.map((x) => x.rps)),
  cpuMs: median(runs.map((x) => x.cpuMs)),
  startP50: median(runs.map((x) => x.startP50)),
  p50: median(runs.map((x) => x.p50)),
  p99: median(runs.map((x) => x.p99)),
  errors: runs.reduce((s, x) => s + x.errors, 0),
  peakRss: status(pid, 'VmHWM'),
  rss: status(pid, 'VmRSS'),
});
const w = summary(results.wxauth, bff.pid, 'wxauth');
const a = summary(results['Auth.js'], authServer.pid, 'Auth.js');
const row = (name, s) =>
  `| ${name} | ${s.rps.toFixed(0)} | ${s.cpuMs.toFixed(3)} | ${s.startP50.toFixed(2)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.eld.p99.toFixed(0)} / ${s.eld.max.toFixed(0)} | ${s.idleRss.toFixed(0)} / ${s.peakRss.toFixed(0)} / ${s.rss.toFixed(0)} MB | ${s.errors} |`;
const authjsVersion = JSON.parse(
  readFileSync(new URL('./bench/peers/node_modules/@auth/core/package.json', import.meta.url), 'utf8'),
).version;
console.log(`
${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0].model} · load ${loadAtStart} at the start, ${load()} at the end · ${ROUNDS} interleaved rounds × ${N} logins, concurrency ${C} (medians), after ${WARMUP} untimed each · @auth/core ${authjsVersion}

| target | logins/s | server CPU ms/login | start p50 ms | finish p50 ms | finish p99 ms | event-loop delay p99 / max ms | RSS before / peak / end | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${row('wxauth (Koa, SQLite, its state and sessions in the file)', w)}
${row('Auth.js (@auth/core on node:http, JWT session cookie)', a)}

- wxauth / Auth.js: logins per second **${(w.rps / a.rps).toFixed(2)}×**, CPU per login ${(w.cpuMs / a.cpuMs).toFixed(2)}×, finish p50 ${(w.p50 / a.p50).toFixed(2)}×, p99 ${(w.p99 / a.p99).toFixed(2)}×, peak RSS ${(w.peakRss / a.peakRss).toFixed(2)}×
- Auth.js's authorize URL at WeChat (the simulator): parameters ${refusals.get('parameters')}; state ${refusals.get('state')}; as sent: ${refusals.get('as sent')}; in WeChat's order: ${refusals.get('reordered')}
`);
process.exit(w.errors + a.errors > 0 ? 1 : 0);
