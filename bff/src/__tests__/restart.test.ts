import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator, type RunningSimulator } from '@wxauth/wechat-sim';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP, Browser, REAL_ENV } from './harness.js';

/**
 * The embedded default, as deployed: the built BFF (`node bff/dist/server.js`) on a SQLite file with
 * no REDIS_URL, stopped and started again. Sessions, logins in flight, SMS codes and limits live in
 * that file, so a restart signs nobody out.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLIC_URL = 'https://h5.example.com';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** One run of the built BFF; `stop` sends the signal and resolves when the process is gone. */
function bffProcess(env: Record<string, string>) {
  const output: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bff/dist/server.js')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    output,
    async listening(url: string) {
      await until('the BFF to listen', async () => {
        if (gone()) throw new Error(`the BFF exited (${child.exitCode}): ${output.join('')}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      });
    },
    signal(signal: NodeJS.Signals) {
      if (!gone()) child.kill(signal);
    },
    async stop(signal: NodeJS.Signals) {
      this.signal(signal);
      await exited;
    },
  };
}

/** A browser from an address of its own (X-Forwarded-For, trusted from loopback): per-IP limits apart. */
class BrowserAt extends Browser {
  constructor(
    origin: string,
    simOrigin: string,
    private readonly ip: string,
  ) {
    super(origin, simOrigin, new Set());
  }

  override request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-forwarded-for', this.ip);
    return super.request(path, { ...init, headers });
  }
}

describe('the embedded default (SQLite, no Redis) across a restart of the BFF', () => {
  let sim: RunningSimulator;
  let sms: Server;
  const inbox = new Map<string, string>();
  const running: Array<ReturnType<typeof bffProcess>> = [];
  let env: Record<string, string>;
  let url: string;

  beforeAll(async () => {
    sim = await createSimulator({
      apps: [{ ...APP, kind: 'official', callbackDomain: 'h5.example.com', name: '测试公众号' }],
    }).listen();
    // The SMS gateway: keeps the last code per phone, as a phone would show it.
    sms = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const { phone, code } = JSON.parse(body) as { phone: string; code: string };
        inbox.set(phone, code);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => sms.listen(0, '127.0.0.1', r));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([sim?.close(), new Promise((r) => sms?.close(r))]);
  });

  const start = async () => {
    const bff = bffProcess(env);
    running.push(bff);
    await bff.listening(url);
    return bff;
  };
  const browser = (n: number) => new BrowserAt(url, sim.origin, `198.18.${n >> 8}.${n & 255}`);
  const signedIn = async (b: Browser) => (await b.request('/api/session')).status === 200;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...REAL_ENV,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL,
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-restart-')), 'wxauth.db')}`,
      WX_OPEN_BASE: sim.origin,
      WX_API_BASE: sim.origin,
      SMS_WEBHOOK_URL: `http://127.0.0.1:${(sms.address() as { port: number }).port}/send`,
      TRUST_PROXY: 'loopback',
    };
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((b) => b.stop('SIGKILL')));
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'after %s: sessions, a login in flight, an SMS code and the limits are all still there',
    async (signal) => {
      const bff = await start();
      const phone = signal === 'SIGTERM' ? '13800138001' : '13800138002';
      const alice = browser(signal === 'SIGTERM' ? 1 : 2);
      expect((await alice.login({ user: `alice-${signal}` })).status).toBe(200);
      expect((await alice.post('/api/sms/send', { phone })).status).toBe(200);
      // One code a minute per phone: the limit that the restart must not reset.
      expect((await alice.post('/api/sms/send', { phone })).status).toBe(429);
      // Bob is at WeChat when the BFF goes down: his state was minted before, his code comes back after.
      const bob = browser(signal === 'SIGTERM' ? 3 : 4);
      const inFlight = await bob.authorize({ user: `bob-${signal}` });

      await bff.stop(signal);
      await start();

      expect(await signedIn(alice)).toBe(true);
      const login = await bob.post('/api/auth/wechat/login', { code: inFlight.code, state: inFlight.state });
      expect(login.status).toBe(200);
      expect(await signedIn(bob)).toBe(true);
      const again = await alice.post('/api/sms/send', { phone });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(30);
      const bind = await alice.post('/api/account/bind', { phone, smsCode: inbox.get(phone) });
      expect(bind.status).toBe(200);
      expect(await (await alice.request('/api/session')).json()).toMatchObject({ bound: true });
    },
    60_000,
  );

  it('a deploy (SIGTERM, the new process started at once) during 50 logins in flight: every login ends signed in, nobody is signed out', async () => {
    const old = await start();
    const before = Array.from({ length: 10 }, (_, i) => browser(100 + i));
    for (const [i, b] of before.entries()) expect((await b.login({ user: `before-${i}` })).status).toBe(200);

    // The code exchange takes 300 ms at WeChat: logins are in the middle of it when the deploy comes.
    await fetch(`${sim.origin}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/sns/oauth2/access_token', delayMs: 300, times: 25 }),
    });
    const users = Array.from({ length: 50 }, (_, i) => browser(200 + i));
    let newFlows = 0;
    /** What the H5 app does: the same code again after a failure it may retry, a new login after a refusal. */
    async function logIn(b: Browser, i: number): Promise<void> {
      for (let flow = 0; flow < 5; flow++) {
        let back: { code: string | null; state: string } | undefined;
        while (!back) back = await b.authorize({ user: `deploy-${i}` }).catch(() => sleep(100).then(() => undefined));
        for (let attempt = 0; attempt < 100; attempt++) {
          const res = await b.post('/api/auth/wechat/login', { code: back.code, state: back.state }).catch(() => null);
          if (res?.status === 200) return;
          if (res && res.status < 500) break;
          await sleep(100);
        }
        newFlows++;
      }
      throw new Error(`user ${i} could not log in`);
    }
    // Half the users came back from WeChat before the deploy, half come back during it.
    const logins = users.map((b, i) => sleep(i < 25 ? 0 : 250 + i * 10).then(() => logIn(b, i)));
    await sleep(150);
    old.signal('SIGTERM');
    await until('the old process to stop listening', () => old.output.join('').includes('SIGTERM: shutting down'));
    const next = bffProcess(env);
    running.push(next);
    await next.listening(url);
    await Promise.all(logins);
    await old.stop('SIGTERM');

    // Both processes finished logins: the deploy came while they were in flight.
    const logins200 = (p: { output: string[] }) =>
      p.output.join('').match(/"method":"POST","path":"\/api\/auth\/wechat\/login","status":200/g)?.length ?? 0;
    // How many each finished depends on the machine's speed; that both did, and no user was lost, does not.
    expect(logins200(old)).toBeGreaterThan(0);
    expect(logins200(next)).toBeGreaterThan(0);
    expect(newFlows).toBe(0);
    for (const b of [...before, ...users]) expect(await signedIn(b)).toBe(true);
  }, 90_000);
});
