// What the benchmark scripts share: free ports, the processes they start, and a plain HTTP client
// over one keep-alive agent (node:http, not fetch: the client's own cost stays small and steady).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** A port free now on loopback: fixed ports collide with whatever else the machine runs. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** One request through `agent`; the whole answer as text. */
export function httpWith(agent) {
  return (method, url, { headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
}

/** Waits until `url` answers below 500 (10 s at most). */
export async function waitFor(http, url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await http('GET', url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

/** Starts a process with the environment and `env`, kept in `children` to be killed at exit. */
export function starter(children) {
  return (cmd, argv, env) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
}

/** A browser's cookies: what Set-Cookie gave, sent back as Cookie. */
export class Jar {
  cookies = new Map();
  take(res) {
    for (const line of res.headers['set-cookie'] ?? []) {
      const [pair, ...attrs] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1);
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  get header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** `fn` over `items` at `concurrency`: time, latencies, failures and the server's CPU. */
export async function timed(items, fn, pid, concurrency) {
  const cpuBefore = cpuSeconds(pid);
  const latencies = [];
  const out = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const k = next++;
        const s = performance.now();
        try {
          out[k] = await fn(items[k]);
          if (out[k] === false) errors++;
        } catch (err) {
          if (errors++ === 0) console.error(err);
        }
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { out, seconds, p50: pct(50), p99: pct(99), errors, cpu: cpuSeconds(pid) - cpuBefore };
}

/** CPU seconds (user + system) a process has used so far. */
export const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
export const status = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * The environment of a benchmarked BFF in real mode against the simulator at `sim`: the benchmarks' own
 * secrets, an SMS gateway nobody calls, X-Forwarded-For trusted from loopback (the virtual users' IPs).
 * Each benchmark adds its own (database, Redis, NODE_ENV).
 */
export const bffEnv = ({ port, publicUrl = `http://localhost:${port}`, sim, appid, secret }) => ({
  PORT: String(port),
  PUBLIC_URL: publicUrl,
  WX_APPID: appid,
  WX_APPSECRET: secret,
  WX_OPEN_BASE: sim,
  WX_API_BASE: sim,
  SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
  INTERNAL_API_TOKEN: 'bench-internal-token-0123456789abcdef',
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
  TRUST_PROXY: 'loopback',
});
