// pnpm bench:forward-auth — what putting a location behind the login costs: requests per second and
// latency through the repository's nginx to one of the site's own services, with and without
// auth_request (wxauth/protect.conf), for one signed-in, bound customer, in one run. Loopback only.
// REQUESTS (per round), ROUNDS, and CONCURRENCY: one level or several (CONCURRENCY=1,16), each measured
// in interleaved rounds, open and protected alternately, in the same run.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { Phone } from './cluster.mjs';
import { startHostService } from './host-service.mjs';
import { startStack } from './stack.mjs';

const N = Number(process.env.REQUESTS ?? 20_000);
const LEVELS = String(process.env.CONCURRENCY ?? '16')
  .split(',')
  .map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const load1 = () => loadavg()[0].toFixed(2);
const loadAtStart = load1();

const service = await startHostService();
const stack = await startStack({
  demo: false,
  services: [
    { path: '/orders/', upstream: service.url, require: 'bound' },
    { path: '/open/', upstream: service.url, require: null },
  ],
});

// A bound customer: WeChat's silent login, then the phone bound with the code the gateway received.
const phone = new Phone('127.0.0.1', 'bench-customer');
if ((await phone.login(stack.origin)).status !== 200) throw new Error('login failed');
const number = '13800138000';
await phone.send(`${stack.origin}/api/sms/send`, { method: 'POST', json: { phone: number } });
const { code } = await (await fetch(`${stack.inbox}?phone=${number}`)).json();
const bound = await phone.send(`${stack.origin}/api/account/bind`, {
  method: 'POST',
  json: { phone: number, smsCode: code },
});
if (bound.status !== 200) throw new Error(`bind failed: ${bound.body}`);
const cookie = [...phone.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...LEVELS) });
const get = (path) =>
  new Promise((resolve, reject) => {
    const req = request(`${stack.origin}${path}`, { agent, headers: { cookie, accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });

/** CPU seconds (user + system) the BFF has used so far: what the protected location adds to it. */
const bffPid = stack.bffs[0].pid;
const cpuSeconds = () => {
  const fields = readFileSync(`/proc/${bffPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

async function load(path, C) {
  const cpuBefore = cpuSeconds();
  const latencies = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next++ < N) {
        const s = performance.now();
        if ((await get(path)) !== 200) errors++;
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rps: N / seconds, p50: pct(50), p99: pct(99), errors, bffCpuUs: ((cpuSeconds() - cpuBefore) * 1e6) / N };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (rs) => ({
  rps: median(rs.map((r) => r.rps)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  bffCpuUs: median(rs.map((r) => r.bffCpuUs)),
  errors: rs.reduce((sum, r) => sum + r.errors, 0),
});
const levels = [];
for (const C of LEVELS) {
  await load('/open/warm', C);
  await load('/orders/warm', C);
  const runs = { open: [], protected: [] };
  // Interleaved rounds, each in the other order: both see the same machine, whatever else it is doing.
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 ? ['protected', 'open'] : ['open', 'protected'];
    for (const which of order) runs[which].push(await load(which === 'open' ? '/open/x' : '/orders/x', C));
  }
  levels.push({ C, open: row(runs.open), prot: row(runs.protected) });
}
agent.destroy();
await stack.stop();
await service.close();

const ms = (x) => `${x.toFixed(2)} ms`;
const lines = levels.flatMap(({ C, open, prot }) => [
  `| ${C} | open (no auth_request) | ${open.rps.toFixed(0)} | ${ms(open.p50)} | ${ms(open.p99)} | ${open.bffCpuUs.toFixed(0)} µs | ${open.errors} |`,
  `| ${C} | protected (auth_request to the BFF) | ${prot.rps.toFixed(0)} | ${ms(prot.p50)} | ${ms(prot.p99)} | ${prot.bffCpuUs.toFixed(0)} µs | ${prot.errors} |`,
]);
const verdicts = levels.map(
  ({ C, open, prot }) =>
    `- concurrency ${C}: requests per second protected / open **${(prot.rps / open.rps).toFixed(2)}**; added **${ms(prot.p50 - open.p50)} at p50** (target ≤ 1 ms: ${prot.p50 - open.p50 <= 1 ? 'met' : 'not met'}), ${ms(prot.p99 - open.p99)} at p99; the BFF's CPU per check ${(prot.bffCpuUs - open.bffCpuUs).toFixed(0)} µs`,
);
console.log(`
${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} × ${cpus()[0].model} · load ${loadAtStart} at the start, ${load1()} at the end · nginx → host service on loopback · ${N} requests × ${ROUNDS} interleaved rounds per location and concurrency, medians

| concurrency | location | requests/s | p50 | p99 | BFF CPU/request | errors |
| ---: | --- | ---: | ---: | ---: | ---: | ---: |
${lines.join('\n')}

${verdicts.join('\n')}
`);
const errors = levels.reduce((n, l) => n + l.open.errors + l.prot.errors, 0);
process.exit(errors === 0 ? 0 : 1);
