import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type DestinationStream } from 'pino';
import { createMemoryKv } from './adapters/kv/memory.js';
import { createMemoryLimits } from './adapters/kv/memoryLimits.js';
import { openSqliteKv } from './adapters/kv/sqlite.js';
import { createLocalSignals, createRedisSignals, type Signals } from './adapters/kv/signals.js';
import type { Kv } from './adapters/kv/types.js';
import { createWebhookSms, type SmsProvider } from './adapters/sms/provider.js';
import { migrate, openDatabase, sqliteFile } from './adapters/store/db.js';
import { createStore } from './adapters/store/store.js';
import { createWechatClient } from './adapters/wechat/client.js';
import { createApp } from './app.js';
import { countOutbox, createOutboxWorker, hostClients } from './features/accounts/index.js';
import { createAuditRetention } from './features/admin/index.js';
import { startDemo, type RunningDemo } from './features/demo/index.js';
import { loadOidcRuntime, readOidcSettings } from './features/oidc/index.js';
import { createTokens, readKeySet } from './features/site/index.js';
import { loadConfig, type Config, type WechatApps } from './platform/config.js';
import { createUpstreamFetch } from './platform/http/upstream.js';
import { FLOOD_WINDOW_MS } from './platform/http/limits.js';
import { logDestination } from './platform/logDestination.js';
import { createMetrics } from './platform/metrics.js';
import { cryptoRandom } from './platform/random.js';

export interface Running {
  config: Config;
  /** Who the BFF is to WeChat (in demo mode, the simulator's apps). */
  apps: WechatApps;
  /** The BFF's own address (PORT 0 picks a free port). */
  url: string;
  /** Demo mode only: the embedded simulator. */
  sim?: RunningDemo['sim'];
  close(): Promise<void>;
}

/**
 * The composition root: builds every part from the environment, in order, and listens. Each part that
 * holds something open registers its close as it is made, so a failure at any step closes what was
 * opened before it, once, in reverse order; `close()` does the same for a running server.
 * Demo mode (no WX_APPID) starts the simulator; real mode never does. Throws ConfigError, naming each
 * bad variable, before anything starts.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  destination: DestinationStream = logDestination(),
  announce: (text: string) => void = console.log,
): Promise<Running> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel, base: { service: 'wxauth-bff' } }, destination);
  await using opened = new AsyncDisposableStack();
  opened.defer(() => log.flush?.());

  const demo = config.demo ? await startDemo(config, log) : undefined;
  if (demo) opened.defer(() => demo.close());
  const apps = config.demo ? demo!.apps : config.apps;

  const db = openDatabase(config.databaseUrl, config.databasePoolSize);
  const store = createStore(db, Date.now, { events: config.accounts.eventsUrl !== null });
  // store.close() ends the database's pool, so it closes the migration's connections too.
  opened.defer(() => store.close());
  // Several instances may start at once: the migrator takes a lock, so exactly one migrates.
  await migrate(db);
  if (config.accounts.directory.kind === 'webhook') {
    // Customers made by the built-in table have numbers for ids, which your directory may use too.
    const bare = await store.localCustomersWithBareIds();
    if (bare > 0)
      throw new Error(
        `CUSTOMER_DIRECTORY=webhook: ${bare} customers made by the built-in table have numeric ids that your directory's ids could repeat; rename them first (docs/guide/your-accounts.md, "Switching from the built-in table")`,
      );
  }

  // Shared state: Redis when configured; else the SQLite file beside the database, so a restart keeps
  // it; else (MySQL without Redis, or SQLite in memory) this process's memory, lost on a restart.
  const stateFile = sqliteFile(config.databaseUrl);
  const state = config.redisUrl ? 'redis' : stateFile ? 'sqlite' : 'in-process';
  const { redisUrl } = config;
  // The Redis client is loaded only when configured: memory the embedded default does without.
  // Notices between instances (a login through the Official Account that a push on another instance
  // moved on) go through Redis's pub/sub; without Redis there is one instance, and its own will do.
  let signals: Signals = createLocalSignals();
  let kv: Kv;
  if (redisUrl) {
    const r = await import('./adapters/kv/redis.js');
    const redis = await r.connectRedis(redisUrl, log);
    kv = r.createRedisKv(redis, config.redisKeyPrefix);
    signals = createRedisSignals(redis, config.redisKeyPrefix, log);
  } else kv = stateFile ? openSqliteKv(stateFile, { store: db }) : createMemoryKv();
  opened.defer(() => kv.close());
  opened.defer(() => signals.close());

  const metrics = createMetrics();
  const wechat = createWechatClient({
    observe: metrics.wechat,
    fetch: createUpstreamFetch(),
    openBase: apps.openBase,
    apiBase: apps.apiBase,
    timeoutMs: config.wechatTimeoutMs,
  });
  const sms: SmsProvider =
    config.sms.provider === 'webhook'
      ? createWebhookSms({ url: config.sms.webhookUrl, token: config.sms.webhookToken, fetch })
      : demo!.sms;
  const { keysFile } = config.jwt;
  const keySet = keysFile ? await readKeySet(keysFile, config.demo) : null;
  const oidc = await readOidcSettings(config.oidc, {
    sessionSecret: config.sessionSecret,
    keys: keySet?.keys ?? null,
    demo: config.demo,
    production: config.production,
  });
  const tokens = keySet
    ? await createTokens({
        keys: keySet,
        issuer: config.publicUrl,
        audience: config.jwt.audience,
        ttlSeconds: config.jwt.ttlSeconds,
        now: Date.now,
        random: cryptoRandom,
      })
    : null;
  const hosts = hostClients(config.accounts);

  // Aborted first thing on close, before the server waits for its connections: event streams end.
  const closing = new AbortController();
  const app = createApp({
    signals,
    closing: closing.signal,
    tokens,
    config,
    apps,
    log,
    store,
    kv,
    wechat,
    sms,
    random: cryptoRandom,
    now: Date.now,
    demo: demo?.parts,
    metrics,
    hostDirectory: hosts.directory,
    oidc,
    // Only a provider loads oidc-provider.
    oidcRuntime: oidc ? await loadOidcRuntime() : undefined,
    // One instance has the state to itself (SQLite, or memory): the minute's per-IP budgets are
    // counted in its memory, a commit per request less. With Redis, every instance shares them.
    floodLimits: redisUrl ? undefined : createMemoryLimits({ longestMs: FLOOD_WINDOW_MS }),
  });
  const server: Server = await new Promise((resolve, reject) => {
    // As much header as nginx lets through (large_client_header_buffers 4 × 8k): Node's own 16 KB
    // would answer 431 to a request nginx passed, and auth_request turns that into a 500.
    const s = createServer({ maxHeaderSize: 32 * 1024 }, app.callback())
      .listen(config.port, config.host, () => resolve(s))
      .once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  // Closing, a kept-alive connection would go on bringing requests (nginx's upstream keepalive, a
  // browser) until the exit deadline cut one in the middle: each is answered, then its connection ends.
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
  });
  opened.defer(
    () =>
      new Promise<void>((resolve) => {
        closing.abort();
        draining = true;
        // A connection busy now is idle after its answer: closed then, before it brings another.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      }),
  );

  // EVENTS_WEBHOOK_URL: the outbox the store writes is delivered from every instance (one event by
  // one instance at a time), until the server closes.
  const { eventsUrl } = config.accounts;
  if (eventsUrl && hosts.events) {
    const events = createOutboxWorker({ db, url: eventsUrl, client: hosts.events, log, metrics });
    metrics.countEventsWith(() => countOutbox(db));
    events.start();
    opened.defer(() => events.stop());
  }

  // The audit trail keeps AUDIT_RETENTION_DAYS: pruned hourly, by one instance of the cluster at a time.
  const retention = createAuditRetention({ db, kv, log, retentionMs: config.auditRetentionMs });
  retention.start();
  opened.defer(() => retention.stop());

  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  log.info(
    { url, publicUrl: config.publicUrl, database: config.databaseUrl.split(':')[0], state, demo: config.demo },
    'wxauth BFF listening',
  );
  if (demo) {
    await demo.serve(url);
    announce(demo.announce(url));
  }

  // Started: what was opened now belongs to the running server, closed by close() alone.
  const running = opened.move();
  return { config, apps, url, sim: demo?.sim, close: () => running.disposeAsync() };
}
