// What the benchmark scripts share: free ports, the processes they start, and a plain HTTP client
// over one keep-alive agent (node:http, not fetch: the client's own cost stays small and steady).
import { spawn } from 'node:child_process';
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
