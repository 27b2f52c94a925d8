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
