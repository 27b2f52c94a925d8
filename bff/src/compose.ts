import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type DestinationStream } from 'pino';
import { createApp } from './app.js';
import { loadConfig, type Config, type WechatApps } from './platform/config.js';
import { startDemo, type RunningDemo } from './features/demo/start.js';
import { countOutbox, createOutboxWorker, EVENT_TIMEOUT_MS } from './features/accounts/outbox.js';
import { createHostClient } from './adapters/host/client.js';
import { createUpstreamFetch } from './platform/http/upstream.js';
import { createMemoryKv } from './adapters/kv/memory.js';
import { logDestination } from './platform/logDestination.js';
import { createMetrics } from './platform/metrics.js';
import { openSqliteKv } from './adapters/kv/sqlite.js';
import type { Kv } from './adapters/kv/types.js';
import { cryptoRandom } from './platform/random.js';
import { readKeySet } from './features/site/tokenKeys.js';
import { createTokens } from './features/site/tokens.js';
import { createWebhookSms, type SmsProvider } from './adapters/sms/provider.js';
import { migrate, openDatabase, sqliteFile } from './adapters/store/db.js';
import { createStore } from './adapters/store/store.js';
import { createWechatClient } from './adapters/wechat/client.js';

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
 * Builds everything from the environment and listens. Demo mode (no WX_APPID) starts the simulator
 * (demo/); real mode never does. Throws ConfigError, naming each bad variable, before anything starts.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  destination: DestinationStream = logDestination(),
  announce: (text: string) => void = console.log,
): Promise<Running> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel, base: { service: 'wxauth-bff' } }, destination);
  const demo = config.demo ? await startDemo(config, log) : undefined;
  const apps = config.demo ? demo!.apps : config.apps;

  const db = openDatabase(config.databaseUrl, config.databasePoolSize);
  try {
    // Several instances may start at once: the migrator takes a lock, so exactly one migrates.
    await migrate(db);
  } catch (err) {
    await db.destroy();
    await demo?.close();
    throw err;
  }
  const store = createStore(db, Date.now, { events: config.accounts.eventsUrl !== null });
  if (config.accounts.directory.kind === 'webhook') {
    // Customers made by the built-in table have numbers for ids, which your directory may use too.
    const bare = await store.localCustomersWithBareIds().catch(() => 0);
    if (bare > 0) {
      await Promise.all([store.close(), demo?.close()]);
      throw new Error(
        `CUSTOMER_DIRECTORY=webhook: ${bare} customers made by the built-in table have numeric ids that your directory's ids could repeat; rename them first (README, "Switching from the built-in table")`,
      );
    }
  }
  // Shared state: Redis when configured; else the SQLite file beside the database, so a restart keeps
  // it; else (MySQL without Redis, or SQLite in memory) this process's memory, lost on a restart.
  const stateFile = sqliteFile(config.databaseUrl);
  const state = config.redisUrl ? 'redis' : stateFile ? 'sqlite' : 'in-process';
  let kv: Kv;
  try {
    // The Redis client is loaded only when configured: memory the embedded default does without.
    const { redisUrl } = config;
    kv = redisUrl
      ? await import('./adapters/kv/redis.js').then(async (r) =>
          r.createRedisKv(await r.connectRedis(redisUrl, log), config.redisKeyPrefix),
        )
      : stateFile
        ? openSqliteKv(stateFile, { store: db })
        : createMemoryKv();
  } catch (err) {
    await Promise.all([store.close(), demo?.close()]);
    throw err;
  }
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
  let tokens = null;
  try {
    if (keysFile)
      tokens = await createTokens({
        keys: await readKeySet(keysFile, config.demo),
        issuer: config.publicUrl,
        audience: config.jwt.audience,
        ttlSeconds: config.jwt.ttlSeconds,
        now: Date.now,
        random: cryptoRandom,
      });
  } catch (err) {
    await Promise.all([store.close(), kv.close(), demo?.close()]);
    throw err;
  }

  const app = createApp({
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
  let closing = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
  });

  // EVENTS_WEBHOOK_URL: the outbox the store writes is delivered from every instance (one event by
  // one instance at a time), until the server closes.
  const { eventsUrl, hostSecrets } = config.accounts;
  const events =
    eventsUrl && hostSecrets[0]
      ? createOutboxWorker({
          db,
          url: eventsUrl,
          client: createHostClient({ secret: hostSecrets[0], timeoutMs: EVENT_TIMEOUT_MS }),
          log,
          metrics,
        })
      : null;
  if (events) {
    metrics.countEventsWith(() => countOutbox(db));
    events.start();
  }
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  log.info(
    {
      url,
      publicUrl: config.publicUrl,
      database: config.databaseUrl.split(':')[0],
      state,
      demo: config.demo,
    },
    'wxauth BFF listening',
  );
  if (demo) announce(demo.announce(url));

  return {
    config,
    apps,
    url,
    sim: demo?.sim,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => {
          closing = true;
          // A connection busy now is idle after its answer: closed then, before it brings another.
          const idle = setInterval(() => server.closeIdleConnections(), 50);
          server.close(() => {
            clearInterval(idle);
            resolve();
          });
          server.closeIdleConnections();
        }),
        events?.stop(),
      ]);
      await Promise.all([store.close(), kv.close(), demo?.close()]);
      log.flush?.();
    },
  };
}
