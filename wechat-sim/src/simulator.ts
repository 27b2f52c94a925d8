import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controls } from './areas/controls.js';
import { globalToken } from './areas/global-token.js';
import { jssdkControls, jssdkScript } from './areas/jssdk.js';
import { officialAccount, officialAccountControls } from './areas/official-account.js';
import { qrLogin } from './areas/qr-login.js';
import { tickets } from './areas/tickets.js';
import { webAuthorization } from './areas/web-authorization/index.js';
import { json } from './http.js';
import { routeTable } from './route.js';
import { createRules } from './rules/index.js';
import type { SimOptions } from './types.js';

export interface Simulator {
  /** The request handler, for embedding in another server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Listen on loopback; port 0 picks a free one. */
  listen(port?: number, host?: string): Promise<RunningSimulator>;
  reset(): void;
  /** The openid a user has under an app, as the code exchange would return it. */
  openidOf(appid: string, user: string): string;
  /** Every code and token handed out since the last reset (tests scan logs for them). */
  issuedSecrets(): string[];
}

export interface RunningSimulator {
  origin: string;
  close(): Promise<void>;
}

export function createSimulator(options: SimOptions): Simulator {
  const rules = createRules(options);
  const control = routeTable(controls, jssdkControls, officialAccountControls);
  const wechat = routeTable(webAuthorization, qrLogin, globalToken, tickets, jssdkScript, officialAccount);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    const call = { rules, req, res, url };
    const own = control(req.method, path);
    if (own) return own(call);
    if (path.startsWith('/__sim/')) return json(res, 404, { error: 'not found' });

    // Every other path counts as a WeChat call and may meet a fault, even one WeChat does not have.
    rules.countCall(path);
    if (await rules.faults.apply(res, path)) return;
    const handler = wechat(req.method, path);
    if (!handler) return json(res, 404, { errcode: 404, errmsg: 'not found' });
    return handler(call);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    route(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { errcode: -1, errmsg: 'system error' });
      else res.destroy();
    });
  }

  return {
    handle,
    reset: rules.reset,
    openidOf: rules.openidOf,
    issuedSecrets: rules.issuedSecrets,
    listen: (port = 0, host = '127.0.0.1') => listen(handle, port, host),
  };
}

function listen(handle: Simulator['handle'], port: number, host: string): Promise<RunningSimulator> {
  const server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        origin: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
