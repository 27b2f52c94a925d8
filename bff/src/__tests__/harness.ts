import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSimulator, type RunningSimulator, type Simulator } from '@wxauth/wechat-sim';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterEach, expect, inject } from 'vitest';
import { hostClients } from '../features/accounts/index.js';
import { createApp } from '../app.js';
import type { PushHandler } from '../features/messages/index.js';
import { loadOidcRuntime, type OidcSettings } from '../features/oidc/index.js';
import { serveWebApp } from '../features/demo/webApp.js';
import { loadConfig } from '../platform/config.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryKv } from '../adapters/kv/memory.js';
import { openSqliteKv } from '../adapters/kv/sqlite.js';
import { createDatabase } from '../../../scripts/servers.mjs';
import { connectRedis, createRedisKv } from '../adapters/kv/redis.js';
import { createLocalSignals, createRedisSignals } from '../adapters/kv/signals.js';
import { createMetrics } from '../platform/metrics.js';
import { cryptoRandom, type Random } from '../platform/random.js';
import { createTokens, type PrivateKeySet } from '../features/site/tokens.js';
import { createConsoleSms, type SmsProvider } from '../adapters/sms/provider.js';
import { migrate, openDatabase } from '../adapters/store/db.js';
import type { Database } from '../adapters/store/schema.js';
import { createStore } from '../adapters/store/store.js';
import { createWechatClient } from '../adapters/wechat/client.js';

export const APP = { appid: 'wx0123456789abcdef', secret: '0123456789abcdef0123456789abcdef' };
export const WEBSITE = { appid: 'wxfedcba9876543210', secret: 'fedcba9876543210fedcba9876543210' };
export const MINIPROGRAM = { appid: 'wx00112233445566ff', secret: '00112233445566ff00112233445566ff' };
export const SESSION_SECRET = 'test-session-secret-0123456789abcdef';
export const INTERNAL_TOKEN = 'test-internal-token-0123456789abcdef';
const PUBLIC_URL = 'https://h5.example.com';
export const PROFILE_KEY = '0f'.repeat(32);

interface Harness {
  logs: string[];
  secrets: Set<string>;
  close(): Promise<void>;
}
const open: Harness[] = [];

/**
 * After every test: nothing secret may appear in any log line (appsecret, internal token, WeChat codes
 * and tokens, session ids, SMS codes, full phone numbers), then everything is closed.
 */
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.close();
    const text = h.logs.join('');
    for (const secret of h.secrets) {
      if (secret.length < 6) continue;
      // A number (an SMS code, a phone) counts only on its own, not inside a longer one such as a
      // log line's millisecond timestamp, where a 6-digit code turns up now and then by chance.
      if (/^\d+$/.test(secret)) expect(text, 'a secret was logged').not.toMatch(new RegExp(`(?<!\\d)${secret}(?!\\d)`));
      else expect(text, 'a secret was logged').not.toContain(secret);
    }
  }
});

export interface TestOptions {
  env?: Record<string, string>;
  random?: Partial<Random>;
  webRoot?: string;
  /** Shared state in the run's real Redis (a key prefix of its own) instead of in-process. */
  redis?: boolean;
  /** The run's real MariaDB (a database of its own) instead of SQLite in memory. */
  mysql?: boolean;
  /** A SQLite file of its own, with the state store in it (as compose.ts sets it up), instead of memory. */
  sqliteFile?: boolean;
  /** Where the test's clock starts (it moves only when the test advances it). */
  startAt?: number;
  /** A second instance of the same deployment: the peer's WeChat, clock, Redis prefix and database. */
  peer?: Peer;
  /** Identity tokens signed with these private keys (the first signs), for TOKEN_AUDIENCE. */
  tokenKeys?: PrivateKeySet;
  /** The OpenID Connect provider's clients and keys (as compose.ts reads them from OIDC_CLIENTS_FILE). */
  oidc?: OidcSettings;
  /** Push handlers of the test's own, before the forward URL (the message endpoint's). */
  pushHandlers?: PushHandler[];
  /** An SMS gateway instead of the inbox the harness reads codes from. */
  sms?: SmsProvider;
}

/** The audience the harness's identity tokens are for. */
export const TOKEN_AUDIENCE = 'https://orders.example.com';

/** What a second instance takes from the first. */
interface Peer {
  sim: Simulator;
  running: RunningSimulator;
  now: () => number;
  advance(ms: number): void;
  databaseUrl: string;
  redisPrefix: string | undefined;
  db: Kysely<Database>;
}

/** A fresh, empty database on the run's real MariaDB server, created as an operator would. */
export const newMysqlDatabase = () => createDatabase(inject('mariadbUrl'), 't');

/** The real BFF against the real simulator, both on loopback, with one clock the test can move. */
export async function startBff(options: TestOptions = {}) {
  const peer = options.peer;
  let clock = options.startAt ?? Date.parse('2026-11-22T08:00:00Z');
  const now = peer?.now ?? (() => clock);
  const sim: Simulator =
    peer?.sim ??
    createSimulator({
      apps: [
        { ...APP, kind: 'official', callbackDomain: 'h5.example.com', openPlatform: 'op', name: '测试公众号' },
        { ...WEBSITE, kind: 'website', callbackDomain: 'h5.example.com', openPlatform: 'op', name: '测试网站' },
        { ...MINIPROGRAM, kind: 'miniprogram', openPlatform: 'op', name: '测试小程序' },
      ],
      now,
    });
  const running = peer?.running ?? (await sim.listen());

  const config = loadConfig({
    WX_APPID: APP.appid,
    WX_APPSECRET: APP.secret,
    WX_OPEN_BASE: running.origin,
    WX_API_BASE: running.origin,
    WX_MP_BASE: running.origin,
    WX_TIMEOUT_MS: '2000',
    PUBLIC_URL,
    SESSION_SECRET,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
    WX_WEBSITE_APPID: WEBSITE.appid,
    WX_WEBSITE_APPSECRET: WEBSITE.secret,
    WX_MINIPROGRAM_APPID: MINIPROGRAM.appid,
    WX_MINIPROGRAM_APPSECRET: MINIPROGRAM.secret,
    WX_PROXY_ALLOWED_HOSTS: 'passport.example.com,.shop.example.com',
    WX_PROXY_PUBLIC_URL: PUBLIC_URL,
    PROFILE_TOKEN_KEY: PROFILE_KEY,
    ...options.env,
  });
  if (config.demo) throw new Error('the harness runs the BFF in real mode, against its own simulator');
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const file = options.sqliteFile ? join(mkdtempSync(join(tmpdir(), 'wxauth-test-')), 'wxauth.db') : null;
  const databaseUrl =
    peer?.databaseUrl ?? (options.mysql ? await newMysqlDatabase() : file ? `sqlite:${file}` : 'sqlite::memory:');
  // Two instances share a MySQL database through their own pools; SQLite in memory is one process's.
  const db = peer && databaseUrl.startsWith('sqlite:') ? peer.db : openDatabase(databaseUrl);
  await migrate(db);
  const store = createStore(db, now, { events: config.accounts.eventsUrl !== null });
  const redisPrefix = peer?.redisPrefix ?? (options.redis ? `test${randomBytes(6).toString('hex')}:` : undefined);
  const redis = redisPrefix !== undefined ? await connectRedis(inject('redisUrl'), pino({ level: 'silent' })) : null;
  const kv = redis
    ? createRedisKv(redis, redisPrefix!)
    : file
      ? openSqliteKv(file, { now, store: db })
      : createMemoryKv(now);
  // Each instance hears the others through Redis, as in production; alone, through itself.
  const signals = redis ? createRedisSignals(redis, redisPrefix!) : createLocalSignals();
  const closing = new AbortController();
  const sms = createConsoleSms(log);
  const random = { ...cryptoRandom, ...options.random };
  const metrics = createMetrics();
  const tokens = options.tokenKeys
    ? await createTokens({
        keys: options.tokenKeys,
        issuer: config.publicUrl,
        audience: TOKEN_AUDIENCE,
        ttlSeconds: 300,
        now,
        random: { ...cryptoRandom, ...options.random },
      })
    : null;
  const app = createApp({
    signals,
    closing: closing.signal,
    tokens,
    config,
    apps: config.apps,
    log,
    store,
    kv,
    sms: options.sms ?? sms,
    random,
    now,
    // The demo's web server, on a real-mode BFF: how the demo serves the H5 app.
    demo: options.webRoot ? { fallback: serveWebApp(options.webRoot) } : undefined,
    metrics,
    hostDirectory: hostClients(config.accounts).directory,
    oidc: options.oidc,
    oidcRuntime: options.oidc ? await loadOidcRuntime() : undefined,
    pushHandlers: options.pushHandlers,
    wechat: createWechatClient({
      observe: metrics.wechat,
      fetch,
      openBase: running.origin,
      apiBase: running.origin,
      timeoutMs: config.wechatTimeoutMs,
      backoffMs: 5,
    }),
  });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const secrets = new Set<string>([
    APP.secret,
    WEBSITE.secret,
    MINIPROGRAM.secret,
    INTERNAL_TOKEN,
    SESSION_SECRET,
    PROFILE_KEY,
  ]);
  if (config.messages) for (const s of [config.messages.token, ...config.messages.aesKeys]) secrets.add(s);
  const harness: Harness = {
    logs,
    secrets,
    async close() {
      for (const s of sim.issuedSecrets()) secrets.add(s);
      for (const [phone, code] of sms.inbox) secrets.add(phone).add(code);
      closing.abort();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      if (!peer) await running.close();
      if (!peer || db !== peer.db) await store.close();
      await signals.close();
      await kv.close();
    },
  };
  open.push(harness);

  const simPost = (path: string, body: unknown) =>
    fetch(running.origin + path, { method: 'POST', body: JSON.stringify(body) });

  return {
    origin,
    simOrigin: running.origin,
    sim,
    running,
    now,
    databaseUrl,
    redisPrefix,
    store,
    kv,
    db,
    logs,
    secrets,
    inbox: sms.inbox,
    config,
    advance: (ms: number) => {
      if (peer) peer.advance(ms);
      else clock += ms;
    },
    fault: (fault: Record<string, unknown>) => simPost('/__sim/faults', fault),
    simStats: async () =>
      ((await (await fetch(`${running.origin}/__sim/stats`)).json()) as { calls: Record<string, number> }).calls,
    browser: () => new Browser(origin, running.origin, secrets),
  };
}

export type Bff = Awaited<ReturnType<typeof startBff>>;

/** The hidden fields of a simulator page's form (consent, QR login), as the browser would post them. */
export function simForm(page: string): URLSearchParams {
  return new URLSearchParams(
    [...page.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [
      m[1]!,
      m[2]!.replaceAll('&#38;', '&').replaceAll('&#47;', '/'),
    ]),
  );
}

/** A minimal real-mode environment: what loadConfig needs when WX_APPID is set. */
export const REAL_ENV = {
  WX_APPID: 'wx0123456789abcdef',
  WX_APPSECRET: '0123456789abcdef0123456789abcdef',
  SESSION_SECRET: 's'.repeat(32),
  INTERNAL_API_TOKEN: 't'.repeat(32),
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.example.com/send',
};

/** A browser: keeps the BFF's and the simulator's cookies, never follows redirects by itself. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly simCookies = new Map<string, string>();

  constructor(
    readonly origin: string,
    readonly simOrigin: string,
    private readonly secrets: Set<string>,
  ) {}

  private keep(res: Response, jar: Map<string, string>): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/.test(line)) jar.delete(name);
      else {
        jar.set(name, value);
        this.secrets.add(value);
      }
    }
  }

  private header(jar: Map<string, string>): string {
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.header(this.cookies));
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch(this.origin + path, { ...init, body, headers, redirect: 'manual' });
    this.keep(res, this.cookies);
    return res;
  }

  /** A POST as the H5 app sends it: JSON, `{}` when there is nothing to say. */
  post(path: string, json: unknown = {}): Promise<Response> {
    return this.request(path, { method: 'POST', json });
  }

  /** GET authorize on the BFF, then WeChat's authorize as `user`: where WeChat sends the browser back. */
  async authorize(
    opts: { user?: string; scope?: string; returnTo?: string; consent?: 'allow' | 'deny' } = {},
  ): Promise<{ wechatUrl: string; back: URL; code: string | null; state: string }> {
    const q = new URLSearchParams({ scope: opts.scope ?? 'snsapi_base', returnTo: opts.returnTo ?? '/' });
    const start = await this.request(`/api/auth/wechat/authorize?${q}`);
    expect(start.status).toBe(302);
    const wechatUrl = start.headers.get('location')!;
    // The browser never sends the #fragment.
    const simUrl = new URL(wechatUrl.replace(/#.*$/, ''));
    if (opts.user) simUrl.searchParams.set('wxsim_user', opts.user);
    const headers = this.simCookies.size ? { cookie: this.header(this.simCookies) } : undefined;
    let res = await fetch(simUrl, { redirect: 'manual', headers });
    this.keep(res, this.simCookies);
    if (res.status === 200) {
      const form = simForm(await res.text());
      form.set('decision', opts.consent ?? 'allow');
      res = await fetch(`${this.simOrigin}/connect/oauth2/authorize/confirm`, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
    }
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    return { wechatUrl, back, code: back.searchParams.get('code'), state: back.searchParams.get('state')! };
  }

  /** The whole silent login: authorize, come back, POST the code. */
  async login(opts: { user?: string; scope?: string; returnTo?: string } = {}): Promise<Response> {
    const { code, state } = await this.authorize(opts);
    return this.post('/api/auth/wechat/login', { code, state });
  }

  /** Send an SMS code to `phone` and bind with the code the demo SMS inbox shows. */
  async bind(phone: string, inbox: Map<string, string>): Promise<void> {
    expect((await this.post('/api/sms/send', { phone })).status).toBe(200);
    expect((await this.post('/api/account/bind', { phone, smsCode: inbox.get(phone) })).status).toBe(200);
  }

  /** Login, then bind `phone`. */
  async loginAndBind(user: string, phone: string, inbox: Map<string, string>): Promise<void> {
    expect((await this.login({ user })).status).toBe(200);
    await this.bind(phone, inbox);
  }
}
