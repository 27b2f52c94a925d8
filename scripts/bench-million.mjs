// pnpm bench:million — does a big customer base slow the login or the forward-auth check? The built BFF
// twice per store, side by side in interleaved rounds of one run: on a database holding only the
// customers the benchmark logs in as (1,000 by default), and on one holding those among a million.
// Stores: SQLite (its state in the same file, the default) and MariaDB with Redis (two databases on one
// MariaDB server, a Redis server each). Every customer is bound to a WeChat identity; the benchmark's
// customers are spread evenly over the ids (scripts/bench/seed-customers.mjs makes the rows).
// Usage: pnpm bench:million [--count 1000000 --users 1000 --requests 2000 --rounds 5 --warmup 6000
//                            --concurrency 32 --stores sqlite,mariadb --buffer-pool 1G]
// Every target first makes --warmup logins and checks, untimed, in interleaved rounds (printed): the
// JIT compilers take thousands of logins to settle (see bench:login), and two processes compared
// while either still compiles differ by more than the effect looked for.
//
// Per target and round: logins (POST /api/auth/wechat/login, its flow prepared beforehand, not timed),
// then the forward-auth check (GET /internal/forward-auth/bound, as nginx's auth_request asks it) once
// for each new session (its first check reads the customer from the database) and once more (from the
// session). And the query plans of the login's, the session's and the binding's queries on the big
// database (EXPLAIN), flagged where one reads a whole table.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Jar, bffEnv, freePort, httpWith, median, starter, status, timed, waitFor } from './bench/process.mjs';
import { seed, userOf, idsOf, APPID } from './bench/seed-customers.mjs';
import { startMariadb, startRedis } from './servers.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    count: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    stores: { type: 'string', default: 'sqlite,mariadb' },
    // InnoDB's buffer pool: room for a million customers' rows and indexes, as a production server has.
    'buffer-pool': { type: 'string', default: '1G' },
  },
});
const COUNT = Number(args.count);
const USERS = Math.min(Number(args.users), COUNT);
const N = Number(args.requests);
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup ?? 3 * N);
const C = Number(args.concurrency);
const STORES = args.stores.split(',');
const SECRET = 'demoOfficialAccountSecret0000000';
// The benchmark's customers: rows spread evenly over the million (the same rows in the small database).
const benchRows = Array.from({ length: USERS }, (_, k) => Math.floor((k * COUNT) / USERS));

const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
const http = httpWith(agent);
const children = [];
const cleanups = [];
const dir = mkdtempSync(join(tmpdir(), 'wxauth-million-'));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const start = starter(children);
// MariaDB and Redis are killed at exit too, should this script fail before it closes them.
const killer = (server) => ({
  kill() {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  },
});
const load = () => loadavg()[0].toFixed(2);
const loadAtStart = load();

const SIM_PORT = await freePort();
const SIM = `http://127.0.0.1:${SIM_PORT}`;
start(process.execPath, ['wechat-sim/dist/cli.js'], {
  WXSIM_PORT: String(SIM_PORT),
  WXSIM_CALLBACK_DOMAIN: 'localhost',
});

/** The databases: each store's small and big one, seeded, with what seeding took. */
const targets = [];
const seeding = [];
for (const store of STORES) {
  let urls;
  if (store === 'sqlite') {
    urls = { small: `sqlite:${join(dir, 'small.db')}`, big: `sqlite:${join(dir, 'million.db')}` };
  } else if (store === 'mariadb') {
    const mariadb = await startMariadb({ bufferPool: args['buffer-pool'] });
    cleanups.push(() => mariadb.close());
    children.push(killer(mariadb));
    urls = { small: await mariadb.createDatabase('wxauth_small'), big: await mariadb.createDatabase('wxauth_million') };
  } else throw new Error(`--stores: sqlite or mariadb, not ${store}`);
  for (const size of ['small', 'big']) {
    const done = await seed(urls[size], size === 'small' ? { rows: benchRows } : { count: COUNT });
    const file = store === 'sqlite' ? statSync(urls[size].slice('sqlite:'.length)).size / 2 ** 20 : undefined;
    seeding.push({ store, size, ...done, file });
    console.error(`seeded ${store} ${size}: ${done.rows} rows in ${done.seconds.toFixed(1)} s (load ${load()})`);
    const redis = store === 'mariadb' ? await startRedis() : undefined;
    if (redis) {
      cleanups.push(() => redis.close());
      children.push(killer(redis));
    }
    targets.push({
      name: `${store}, ${size === 'small' ? USERS : COUNT} customers`,
      store,
      size,
      url: urls[size],
      redis,
    });
  }
}

for (const t of targets) {
  const port = await freePort();
  t.origin = `http://localhost:${port}`;
  t.proc = start(process.execPath, ['bff/dist/server.js'], {
    ...bffEnv({ port, publicUrl: t.origin, sim: SIM, appid: APPID, secret: SECRET }),
    DATABASE_URL: t.url,
    ...(t.redis && { REDIS_URL: t.redis.url }),
    NODE_ENV: 'production',
  });
}
await Promise.all([waitFor(http, `${SIM}/__sim/stats`), ...targets.map((t) => waitFor(http, `${t.origin}/healthz`))]);

const ipOf = (i) => `198.18.${(i >> 8) & 255}.${i & 255}`;

/** A browser on its way back from WeChat: its cookies, and the code and state to post. */
async function flow(t, i) {
  const jar = new Jar();
  const headers = { 'x-forwarded-for': ipOf(i) };
  const res = jar.take(await http('GET', `${t.origin}/api/auth/wechat/authorize?returnTo=%2F`, { headers }));
  const user = userOf(benchRows[i % USERS]);
  const back = new URL(
    (await http('GET', `${res.headers.location.replace(/#.*$/, '')}&wxsim_user=${user}`)).headers.location,
  );
  return {
    i,
    jar,
    body: JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') }),
  };
}

async function login(t, f) {
  const headers = { 'content-type': 'application/json', 'x-forwarded-for': ipOf(f.i), cookie: f.jar.header };
  const res = f.jar.take(await http('POST', `${t.origin}/api/auth/wechat/login`, { headers, body: f.body }));
  // A bound customer of the seeded rows: home at once.
  return res.status === 200 && JSON.parse(res.body).next === 'home';
}

const check = async (t, f) =>
  (await http('GET', `${t.origin}/internal/forward-auth/bound`, { headers: { cookie: f.jar.header } })).status === 204;

async function round(t, n) {
  const flows = [];
  for (let i = 0; i < n; i += 64)
    flows.push(...(await Promise.all(Array.from({ length: Math.min(64, n - i) }, (_, j) => flow(t, i + j)))));
  const pid = t.proc.pid;
  const logins = await timed(flows, (f) => login(t, f), pid, C);
  const first = await timed(flows, (f) => check(t, f), pid, C);
  const again = await timed(flows, (f) => check(t, f), pid, C);
  const per = (r) => ({ ...r, cpuMs: (r.cpu * 1000) / n, rps: n / r.seconds });
  return { logins: per(logins), first: per(first), again: per(again) };
}

/** The query plans of the store's per-request queries, on the big database. */
async function plans(t) {
  // Values of a row in the middle of the table.
  const mid = Math.floor(COUNT / 2);
  const { openid, unionid } = idsOf(mid);
  const queries = {
    'identity by id (session, login)': ['select * from wechat_identities where id = ?', mid + 1],
    'customer by id (session, forward-auth)': ['select * from customers where id = ?', mid + 1],
    'identity by openid (login)': ['select * from wechat_identities where appid = ? and openid = ?', APPID, openid],
    'identities by unionid (login, adopt)': [
      'select customer_id from wechat_identities where unionid = ? and id != ? and customer_id is not null',
      unionid,
      mid + 1,
    ],
    'identities of a customer (binding)': [
      'select id from wechat_identities where customer_id = ? and id != ?',
      mid + 1,
      mid + 1,
    ],
    'customer by phone (binding)': ['select * from customers where phone = ?', `139${String(mid).padStart(8, '0')}`],
    'customer by ref (directory, revocation)': ['select * from customers where ref = ?', String(mid + 1)],
    'customers with bare ids (start, webhook directory only)': [
      "select count(*) from customers where origin = 'local' and ref not like 'wxauth-%'",
    ],
  };
  const require = createRequire(new URL('../bff/package.json', import.meta.url));
  const out = [];
  if (t.store === 'sqlite') {
    const SQLite = require('better-sqlite3');
    const db = new SQLite(t.url.slice('sqlite:'.length), { readonly: true });
    for (const [name, [sql, ...params]] of Object.entries(queries)) {
      const plan = db
        .prepare(`explain query plan ${sql}`)
        .all(...params)
        .map((r) => r.detail)
        .join('; ');
      const scan = /\bSCAN (customers|wechat_identities)\b/.test(plan);
      const t0 = performance.now();
      if (scan) db.prepare(sql).all(...params);
      out.push({ store: t.store, name, plan, scan: scan && `yes, ${(performance.now() - t0).toFixed(0)} ms` });
    }
    db.close();
  } else {
    const mysql = require('mysql2/promise');
    const conn = await mysql.createConnection(t.url);
    for (const [name, [sql, ...params]] of Object.entries(queries)) {
      const [rows] = await conn.query(`explain ${sql}`, params);
      const plan = rows.map((r) => `${r.table}: ${r.type}${r.key ? ` ${r.key}` : ''} (${r.rows} rows)`).join('; ');
      const scan = rows.some((r) => r.type === 'ALL' || r.type === 'index');
      const t0 = performance.now();
      if (scan) await conn.query(sql, params);
      out.push({ store: t.store, name, plan, scan: scan && `yes, ${(performance.now() - t0).toFixed(0)} ms` });
    }
    await conn.end();
  }
  return out;
}

const planRows = [];
for (const t of targets.filter((x) => x.size === 'big')) planRows.push(...(await plans(t)));

console.error(`warming up: ${WARMUP} logins and checks each, in interleaved rounds of at most ${N}, untimed…`);
for (let done = 0, w = 1; done < WARMUP; done += N, w++) {
  const n = Math.min(N, WARMUP - done);
  const rates = [];
  for (const t of w % 2 ? targets : [...targets].reverse())
    rates.push(`${t.name} ${(await round(t, n)).logins.cpuMs.toFixed(3)} ms`);
  console.error(`warm-up ${w} (load ${load()}): CPU per login ${rates.join(', ')}`);
}
const results = new Map(targets.map((t) => [t, []]));
for (let r = 1; r <= ROUNDS; r++) {
  for (const t of r % 2 ? targets : [...targets].reverse()) results.get(t).push(await round(t, N));
  console.error(
    `round ${r}/${ROUNDS} (load ${load()}): ${targets.map((t) => `${t.name} ${results.get(t).at(-1).logins.rps.toFixed(0)}/s`).join(', ')}`,
  );
}

const pick = (runs, leg, key) => median(runs.map((x) => x[leg][key]));
const summary = (t) => {
  const runs = results.get(t);
  const s = {};
  for (const leg of ['logins', 'first', 'again'])
    s[leg] = Object.fromEntries(['rps', 'cpuMs', 'p50', 'p99'].map((k) => [k, pick(runs, leg, k)]));
  s.errors = runs.reduce((n, x) => n + x.logins.errors + x.first.errors + x.again.errors, 0);
  s.rss = status(t.proc.pid, 'VmHWM');
  return s;
};
const sums = new Map(targets.map((t) => [t, summary(t)]));
const f = (x, d = 2) => x.toFixed(d);
const us = (ms) => (ms * 1000).toFixed(0);
const lines = [];
for (const t of targets) {
  const s = sums.get(t);
  lines.push(
    `| ${t.name} | ${f(s.logins.rps, 0)} | ${f(s.logins.cpuMs, 3)} | ${f(s.logins.p50)} | ${f(s.logins.p99)} | ${us(s.first.cpuMs)} / ${us(s.again.cpuMs)} µs | ${f(s.first.p50)} / ${f(s.again.p50)} | ${f(s.first.p99)} / ${f(s.again.p99)} | ${f(s.rss, 0)} MB | ${s.errors} |`,
  );
}
const verdicts = [];
for (const store of STORES) {
  const [small, big] = ['small', 'big'].map((size) =>
    sums.get(targets.find((t) => t.store === store && t.size === size)),
  );
  const pct = (a, b) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(0)} %`;
  const within = (a, b) => (a <= b * 1.1 ? 'met' : 'not met');
  verdicts.push(
    `- ${store}: login CPU ${pct(big.logins.cpuMs, small.logins.cpuMs)} (${within(big.logins.cpuMs, small.logins.cpuMs)}), login p99 ${pct(big.logins.p99, small.logins.p99)} (${within(big.logins.p99, small.logins.p99)}); forward-auth CPU, first check ${pct(big.first.cpuMs, small.first.cpuMs)}, again ${pct(big.again.cpuMs, small.again.cpuMs)}; p50 first ${pct(big.first.p50, small.first.p50)}`,
  );
}
console.log(`
${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0].model} · load ${loadAtStart} at the start, ${load()} at the end · ${ROUNDS} interleaved rounds × ${N} logins of ${USERS} customers, concurrency ${C} (medians), after ${WARMUP} untimed each

Seeding (scripts/bench/seed-customers.mjs, batched inserts):

| store | rows | seconds (CPU of the seeding process) | file |
| --- | ---: | ---: | ---: |
${seeding.map((s) => `| ${s.store} | ${s.rows} | ${f(s.seconds, 1)} (${f(s.cpuSeconds, 1)}) | ${s.file === undefined ? '—' : `${f(s.file, 0)} MB`} |`).join('\n')}

| target | logins/s | CPU ms/login | login p50 ms | login p99 ms | forward-auth CPU/check, first / again | its p50 ms | its p99 ms | peak RSS | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${lines.join('\n')}

A million against the small database (target: within 10 %):
${verdicts.join('\n')}

Query plans on the big database:

| store | query | plan | whole table |
| --- | --- | --- | :-: |
${planRows.map((p) => `| ${p.store} | ${p.name} | ${p.plan} | ${p.scan || 'no'} |`).join('\n')}
`);
agent.destroy();
for (const t of targets) t.proc.kill('SIGKILL');
for (const close of cleanups) await close();
const errors = [...sums.values()].reduce((n, s) => n + s.errors, 0);
process.exit(errors > 0 ? 1 : 0);
