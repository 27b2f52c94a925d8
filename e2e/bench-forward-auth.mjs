// pnpm bench:forward-auth — what putting a location behind the login costs: requests per second and
// latency through the repository's nginx to one of the site's own services, with and without
// auth_request (wxauth/protect.conf), for one signed-in, bound customer, in one run. Loopback only.
import { Agent, request } from 'node:http';
import { Phone } from './cluster.mjs';
import { startHostService } from './host-service.mjs';
import { startStack } from './stack.mjs';

const N = Number(process.env.REQUESTS ?? 20_000);
const C = Number(process.env.CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

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

const agent = new Agent({ keepAlive: true, maxSockets: C });
const get = (path) =>
  new Promise((resolve, reject) => {
    const req = request(`${stack.origin}${path}`, { agent, headers: { cookie, accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });

async function load(path) {
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
  return { rps: N / seconds, p50: pct(50), p99: pct(99), errors };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await load('/open/warm');
await load('/orders/warm');
const runs = { open: [], protected: [] };
// Interleaved rounds: both see the same machine, whatever else it is doing.
for (let i = 0; i < ROUNDS; i++) {
  runs.open.push(await load('/open/x'));
  runs.protected.push(await load('/orders/x'));
}
const row = (name, rs) => {
  const m = { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) };
  const errors = rs.reduce((sum, r) => sum + r.errors, 0);
  return { name, ...m, errors };
};
const open = row('open location (no auth_request)', runs.open);
const prot = row('protected location (auth_request to the BFF)', runs.protected);
agent.destroy();
await stack.stop();
await service.close();

console.log(`
${new Date().toISOString().slice(0, 10)} · nginx → host service on loopback · ${N} requests × ${ROUNDS} interleaved rounds at concurrency ${C}, medians

| location | requests/s | p50 | p99 | errors |
| --- | ---: | ---: | ---: | ---: |
${[open, prot].map((r) => `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.errors} |`).join('\n')}

Added by auth_request: **${(prot.p50 - open.p50).toFixed(2)} ms at p50** (target ≤ 1 ms), ${(prot.p99 - open.p99).toFixed(2)} ms at p99, ${((1 - prot.rps / open.rps) * 100).toFixed(0)} % fewer requests per second.
`);
process.exit(open.errors + prot.errors === 0 ? 0 : 1);
