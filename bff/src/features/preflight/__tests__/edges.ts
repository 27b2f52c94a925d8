import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A local HTTP server for the test, closed after it. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * fetch with public origins (https://h5.example.com) answered by local servers, as DNS and a TLS
 * terminator would send them there; any other URL is fetched as it is.
 */
export const routedFetch =
  (routes: Record<string, string>): typeof fetch =>
  (input, init) => {
    const url = new URL(String(input));
    const local = routes[url.origin];
    return fetch(local ? `${local}${url.pathname}${url.search}` : url, init);
  };

/** A redis-server of the test's own, started with `args` (a policy, persistence, a password), on loopback. */
export async function startRedis(args: string[]): Promise<string> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { connect } = await import('node:net');
  const { freePort } = await import('../../../../../scripts/servers.mjs');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'preflight-redis-'));
  const bin = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], {
    stdio: 'ignore',
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  );
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}
