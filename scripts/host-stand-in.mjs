// The company's own system, as the tests meet it: its customer directory (lookup by phone, account and
// password) and its event receiver, on loopback. It checks every request's X-Wxauth-Signature with the
// docs' example (docs/examples/verify-signature.mjs) and counts what it refuses. Events are kept once
// per id, as a real receiver must (at least once delivery): `deliveries` counts every arrival.
import { createServer } from 'node:http';
import { verifyWxauthSignature } from '../docs/examples/verify-signature.mjs';

/**
 * @param {{ secret: string, port?: number, customers?: Array<{ customerId: string, phone?: string,
 *   account?: string, password?: string, displayName?: string }> }} options
 */
export async function startHostStandIn(options) {
  const customers = [...(options.customers ?? [])];
  const state = {
    /** Events by id, in order of first arrival. */
    events: new Map(),
    deliveries: 0,
    refused: 0,
    calls: { lookup: 0, verify: 0, events: 0 },
    /** The next N requests to this path answer 500. */
    failures: new Map(),
    /** Milliseconds each answer waits. */
    delayMs: 0,
    /** Requests arrived and not yet answered (a delivery under way, while `delayMs` holds it). */
    inFlight: 0,
  };

  const answer = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (req.method !== 'POST') return answer(res, 405, { error: 'method' });
    if (!verifyWxauthSignature(options.secret, req.headers['x-wxauth-signature'], raw)) {
      state.refused++;
      // As docs/guide/your-accounts.md asks of a host: a refused signature is 403, never the 401 of a wrong password.
      return answer(res, 403, { error: 'signature' });
    }
    const failing = state.failures.get(path) ?? 0;
    if (failing > 0) {
      state.failures.set(path, failing - 1);
      return answer(res, 500, { error: 'planned failure' });
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return answer(res, 400, { error: 'json' });
    }
    switch (path) {
      case '/wxauth/customers/lookup': {
        state.calls.lookup++;
        const c = customers.find((x) => x.phone !== undefined && x.phone === body.phone);
        return c ? answer(res, 200, { customerId: c.customerId, displayName: c.displayName }) : answer(res, 404, {});
      }
      case '/wxauth/customers/verify': {
        state.calls.verify++;
        const c = customers.find((x) => x.account !== undefined && x.account === body.account);
        if (!c || c.password !== body.password) return answer(res, 401, {});
        return answer(res, 200, { customerId: c.customerId, displayName: c.displayName });
      }
      case '/wxauth/events': {
        state.calls.events++;
        state.deliveries++;
        if (typeof body.id !== 'string') return answer(res, 400, { error: 'id' });
        if (!state.events.has(body.id)) state.events.set(body.id, body);
        return answer(res, 200, { received: body.id });
      }
      default:
        return answer(res, 404, {});
    }
  }

  let server;
  let port = options.port ?? 0;
  const listen = () =>
    new Promise((resolve, reject) => {
      server = createServer((req, res) => {
        state.inFlight++;
        res.once('close', () => state.inFlight--);
        void handle(req, res).catch(() => answer(res, 500, {}));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = server.address().port;
        resolve();
      });
    });
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  await listen();

  return {
    get port() {
      return port;
    },
    /** DIRECTORY_URL: the directory's base (…/customers/lookup and …/customers/verify below it). */
    get directoryUrl() {
      return `http://127.0.0.1:${port}/wxauth`;
    },
    /** EVENTS_WEBHOOK_URL. */
    get eventsUrl() {
      return `http://127.0.0.1:${port}/wxauth/events`;
    },
    state,
    customers,
    /** Events received, each once, in order. */
    events: () => [...state.events.values()],
    failNext(path, times = 1) {
      state.failures.set(path, times);
    },
    /** Down: the port refuses connections (as a stopped host does). */
    stop: close,
    /** Up again, on the same port. */
    start: listen,
    close,
  };
}
