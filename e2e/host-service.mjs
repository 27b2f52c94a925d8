// One of the company's own services behind the site's nginx (orders, cart…), as small as can be: it
// answers every request with what it was sent, so a test sees exactly what nginx passed on.
import { createServer } from 'node:http';

/** @returns {Promise<{ url: string, close(): Promise<void> }>} */
export async function startHostService() {
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ service: 'orders', method: req.method, url: req.url, headers: req.headers }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
