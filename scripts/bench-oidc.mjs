// pnpm bench:oidc — the OpenID Connect provider's token endpoint (authorization_code and refresh_token
// grants) and userinfo: requests per second, p50/p99 and the BFF's CPU per request, against the built
// BFF as its own process, with the simulator on loopback, a client file and a key set made here.
// Codes come from the real flow: users log in through WeChat (the simulator) and bind a phone (the SMS
// webhook is a receiver in this script), then each code is one browser's walk authorize → our
// interaction (login, consent) → back to the client with ?code=, on that user's wxauth session.
// Usage: pnpm bench:oidc [--requests 500 --concurrency 16 --rounds 3 --users 16 --max-seconds 300]
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, httpWith, starter, waitFor as waitForUrl } from './bench/process.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    requests: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    users: { type: 'string', default: '16' },
    // The whole run gives up after this long: a benchmark never hangs a machine others share.
    'max-seconds': { type: 'string', default: '300' },
  },
});
const N = Number(args.requests);
const C = Number(args.concurrency);
const ROUNDS = Number(args.rounds);
const USERS = Math.max(1, Math.min(Number(args.users), N));

const [SIM_PORT, BFF_PORT] = [await freePort(), await freePort()];
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const BFF = `http://127.0.0.1:${BFF_PORT}`;
const PUBLIC_URL = `http://localhost:${BFF_PORT}`;
const ISSUER = `${PUBLIC_URL}/oidc`;
const APPID = 'wx00000000000000de';
const SECRET = 'demoOfficialAccountSecret0000000';
// The client: a confidential, first-party app. Its redirect URI is never visited: the code is read off the Location.
const CLIENT = { id: 'bench', secret: randomBytes(32).toString('base64url'), redirect: 'https://rp.example.com/cb' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
const children = [];
const dataDir = mkdtempSync(join(tmpdir(), 'wxauth-bench-oidc-'));
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});
setTimeout(
  () => {
    console.error(`bench:oidc: gave up after ${args['max-seconds']} s`);
    process.exit(1);
  },
  Number(args['max-seconds']) * 1000,
).unref();

const http = httpWith(agent);
const waitFor = (url) => waitForUrl(http, url);
const start = starter(children);

/** A browser's cookies, by name (one flow at a time per jar, so paths do not matter here). */
class Jar extends Map {
  keep(res) {
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.delete(pair.slice(0, eq));
      else this.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
  get header() {
    return [...this].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

// A virtual user's IP, from the benchmarking range (RFC 2544), carried only in X-Forwarded-For.
const ipOf = (i) => `198.18.${(i >> 8) & 255}.${i & 255}`;

// The SMS gateway: the BFF's webhook posts {phone, code} here; binding reads the code back.
const smsCodes = new Map();
const gateway = createHttpServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const { phone, code } = JSON.parse(body);
    smsCodes.set(phone, code);
    res.writeHead(204).end();
  });
});
const SMS_PORT = await new Promise((resolve) => gateway.listen(0, '127.0.0.1', () => resolve(gateway.address().port)));
gateway.unref();

/** A new WeChat user, logged in silently and bound to a phone by SMS code: their wxauth session's cookies. */
async function boundUser(i) {
  const jar = new Jar();
  const ip = { 'x-forwarded-for': ipOf(i) };
  const json = () => ({ ...ip, 'content-type': 'application/json', cookie: jar.header });
  const authorize = jar.keep(await http('GET', `${BFF}/api/auth/wechat/authorize?returnTo=%2F`, { headers: ip }));
  const simUrl = authorize.headers.location.replace(/#.*$/, '') + `&wxsim_user=oidcbench${i}`;
  const back = new URL((await http('GET', simUrl)).headers.location);
  const body = JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') });
  const login = jar.keep(await http('POST', `${BFF}/api/auth/wechat/login`, { headers: json(), body }));
  if (JSON.parse(login.body).next !== 'bind') throw new Error(`login: ${login.status} ${login.body}`);
  const phone = `1380013${String(i).padStart(4, '0')}`;
  const sent = await http('POST', `${BFF}/api/sms/send`, { headers: json(), body: JSON.stringify({ phone }) });
  if (sent.status !== 200) throw new Error(`sms/send: ${sent.status} ${sent.body}`);
  const bindBody = JSON.stringify({ phone, smsCode: smsCodes.get(phone) });
  const bound = jar.keep(await http('POST', `${BFF}/api/account/bind`, { headers: json(), body: bindBody }));
  if (bound.status !== 200) throw new Error(`bind: ${bound.status} ${bound.body}`);
  return jar;
}

/** One code: a browser with the user's wxauth session walks the provider's redirects back to the client. */
async function mintCode(user) {
  const jar = new Jar(user);
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: CLIENT.id,
    response_type: 'code',
    scope: 'openid phone',
    redirect_uri: CLIENT.redirect,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
  });
  let next = new URL(`${ISSUER}/auth?${q}`);
  for (let hops = 0; hops < 10; hops++) {
    if (next.origin !== PUBLIC_URL) break;
    const res = jar.keep(await http('GET', BFF + next.pathname + next.search, { headers: { cookie: jar.header } }));
    if (res.status < 300 || res.status >= 400) throw new Error(`${next.pathname}: ${res.status} ${res.body}`);
    next = new URL(res.headers.location, next);
  }
  const code = next.searchParams.get('code');
  if (next.origin + next.pathname !== CLIENT.redirect || !code) throw new Error(`no code: ${next.search}`);
  return { code, verifier };
}

async function prepare(n, make) {
  const made = [];
  for (let i = 0; i < n; i += C)
    made.push(...(await Promise.all(Array.from({ length: Math.min(C, n - i) }, (_, j) => make(i + j)))));
  return made;
}

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** `requests` sent C at a time; each answer kept, its latency measured. */
async function load(requests, pid) {
  const cpuBefore = cpuSeconds(pid);
  const latencies = [];
  const answers = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < requests.length) {
        const i = next++;
        const { method, url, headers, body } = requests[i];
        const s = performance.now();
        const res = await http(method, url, { headers, body });
        latencies.push(performance.now() - s);
        if (res.status !== 200) errors++;
        answers[i] = res.status === 200 ? JSON.parse(res.body) : null;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / requests.length;
  return { result: { rps: requests.length / seconds, p50: pct(50), p99: pct(99), errors, cpuMs }, answers };
}

const tokenRequest = (params) => {
  const body = new URLSearchParams(params).toString();
  return {
    method: 'POST',
    url: `${BFF}/oidc/token`,
    headers: {
      authorization: BASIC,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
    },
    body,
  };
};

// The simulator, the client file and the key set, then the BFF as production runs it (SQLite, no Redis).
const { generateKeyPairSync } = await import('node:crypto');
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keysFile = join(dataDir, 'jwt-keys.json');
writeFileSync(
  keysFile,
  JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }] }),
);
const clientsFile = join(dataDir, 'oidc-clients.json');
writeFileSync(
  clientsFile,
  JSON.stringify({
    clients: [
      {
        client_id: CLIENT.id,
        client_secret_sha256: createHash('sha256').update(CLIENT.secret).digest('base64url'),
        redirect_uris: [CLIENT.redirect],
        first_party: true,
      },
    ],
  }),
);
start(process.execPath, ['wechat-sim/dist/cli.js'], {
  WXSIM_PORT: String(SIM_PORT),
  WXSIM_CALLBACK_DOMAIN: 'localhost',
});
const bff = start(process.execPath, ['bff/dist/server.js'], {
  PORT: String(BFF_PORT),
  PUBLIC_URL,
  WX_APPID: APPID,
  WX_APPSECRET: SECRET,
  WX_OPEN_BASE: SIM,
  WX_API_BASE: SIM,
  DATABASE_URL: `sqlite:${join(dataDir, 'bench.db')}`,
  SESSION_SECRET: randomBytes(32).toString('base64url'),
  INTERNAL_API_TOKEN: randomBytes(32).toString('base64url'),
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: `http://127.0.0.1:${SMS_PORT}/sms`,
  TRUST_PROXY: 'loopback',
  JWT_KEYS_FILE: keysFile,
  OIDC_CLIENTS_FILE: clientsFile,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
});
await Promise.all([waitFor(`${SIM}/__sim/stats`), waitFor(`${BFF}/healthz`)]);

console.error(`binding ${USERS} users…`);
const users = await prepare(USERS, boundUser);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One round: N codes minted, then exchanged, their refresh tokens spent, and userinfo with each access token. */
async function round() {
  const t0 = performance.now();
  const codes = await prepare(N, (i) => mintCode(users[i % users.length]));
  const mintSeconds = (performance.now() - t0) / 1000;
  const exchange = await load(
    codes.map(({ code, verifier }) =>
      tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: CLIENT.redirect, code_verifier: verifier }),
    ),
    bff.pid,
  );
  const issued = exchange.answers.filter(Boolean);
  const refresh = await load(
    issued.map((t) => tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh_token })),
    bff.pid,
  );
  const accessTokens = refresh.answers.filter(Boolean).map((t) => t.access_token);
  const userinfo = await load(
    accessTokens.map((token) => ({
      method: 'GET',
      url: `${BFF}/oidc/me`,
      headers: { authorization: `Bearer ${token}` },
    })),
    bff.pid,
  );
  return { mint: N / mintSeconds, code: exchange.result, refresh: refresh.result, userinfo: userinfo.result };
}

console.error('warming up (one round)…');
await round();
const runs = [];
for (let r = 1; r <= ROUNDS; r++) {
  runs.push(await round());
  const last = runs.at(-1);
  console.error(
    `round ${r}/${ROUNDS}: codes ${last.mint.toFixed(0)}/s, authorization_code ${last.code.rps.toFixed(0)}/s, refresh_token ${last.refresh.rps.toFixed(0)}/s, userinfo ${last.userinfo.rps.toFixed(0)}/s`,
  );
}
const summary = (pick) => ({
  rps: median(runs.map((x) => pick(x).rps)),
  p50: median(runs.map((x) => pick(x).p50)),
  p99: median(runs.map((x) => pick(x).p99)),
  cpuMs: median(runs.map((x) => pick(x).cpuMs)),
  errors: runs.reduce((s, x) => s + pick(x).errors, 0),
});
const results = {
  code: summary((x) => x.code),
  refresh: summary((x) => x.refresh),
  userinfo: summary((x) => x.userinfo),
};
const row = (name, s) =>
  `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.cpuMs.toFixed(2)} | ${s.errors} |`;
console.log(`
${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0].model} · ${ROUNDS} rounds × ${N} requests each, concurrency ${C}, ${USERS} users (medians); codes minted at ${median(runs.map((x) => x.mint)).toFixed(0)}/s

| endpoint | requests/s | p50 ms | p99 ms | BFF CPU ms/request | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('POST /oidc/token, authorization_code', results.code)}
${row('POST /oidc/token, refresh_token', results.refresh)}
${row('GET /oidc/me (userinfo)', results.userinfo)}
`);
process.exit(results.code.errors + results.refresh.errors + results.userinfo.errors > 0 ? 1 : 0);
