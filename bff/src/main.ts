import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator, demoApps, type RunningSimulator } from '@wxauth/wechat-sim';
import { pino, type DestinationStream } from 'pino';
import { createApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { createMemoryKv } from './kv/memory.js';
import { createMetrics } from './metrics.js';
import { connectRedis, createRedisKv } from './kv/redis.js';
import type { Kv } from './kv/types.js';
import { cryptoRandom } from './random.js';
import { createConsoleSms, createWebhookSms, type SmsProvider } from './sms/provider.js';
import { migrate, openDatabase } from './store/db.js';
import { createStore } from './store/store.js';
import { createWechatClient } from './wechat/client.js';

export interface Running {
  config: Config;
  /** The BFF's own address (PORT 0 picks a free port). */
  url: string;
  /** Demo mode only: the embedded simulator. */
  sim?: RunningSimulator;
  close(): Promise<void>;
}

/**
 * Builds everything from the environment and listens. Demo mode (no WX_APPID) starts the simulator,
 * seeded with an Official Account whose callback domain is PUBLIC_URL's host; real mode never does.
 * Throws ConfigError, naming each bad variable, before anything starts.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  logDestination: DestinationStream = pino.destination({ sync: false, minLength: 4096 }),
  announce: (text: string) => void = console.log,
): Promise<Running> {
  let config = loadConfig(env);
  // Buffered by default, so a busy server makes one write per few kilobytes of logs, not one per line.
  const log = pino({ level: config.logLevel, base: { service: 'wxauth-bff' } }, logDestination);

  let sim: RunningSimulator | undefined;
  if (config.demo) {
    const callbackDomain = new URL(config.publicUrl).hostname;
    const [official, website] = demoApps(callbackDomain);
    sim = await createSimulator({ apps: demoApps(callbackDomain), allowPorts: true }).listen(
      config.simPort,
      '127.0.0.1',
    );
    // The browser reaches the simulator by the same host name it uses for the BFF.
    const browserOrigin = callbackDomain === 'localhost' ? sim.origin.replace('127.0.0.1', 'localhost') : sim.origin;
    config = {
      ...config,
      wechat: {
        ...config.wechat,
        appid: official!.appid,
        secret: official!.secret,
        openBase: browserOrigin,
        apiBase: sim.origin,
      },
      website: { appid: website!.appid, secret: website!.secret },
    };
  }

  const db = openDatabase(config.databaseUrl, config.databasePoolSize);
  try {
    // Several instances may start at once: the migrator takes a lock, so exactly one migrates.
    await migrate(db);
  } catch (err) {
    await db.destroy();
    await sim?.close();
    throw err;
  }
  const store = createStore(db);
  let kv: Kv;
  try {
    kv = config.redisUrl
      ? createRedisKv(await connectRedis(config.redisUrl, log), config.redisKeyPrefix)
      : createMemoryKv();
  } catch (err) {
    await Promise.all([store.close(), sim?.close()]);
    throw err;
  }
  const metrics = createMetrics();
  const wechat = createWechatClient({
    observe: metrics.wechat,
    fetch,
    openBase: config.wechat.openBase,
    apiBase: config.wechat.apiBase,
    timeoutMs: config.wechat.timeoutMs,
  });
  let sms: SmsProvider;
  let smsInbox: Map<string, string> | undefined;
  if (config.sms.provider === 'console') {
    const consoleSms = createConsoleSms(log);
    sms = consoleSms;
    smsInbox = consoleSms.inbox;
  } else {
    sms = createWebhookSms({ url: config.sms.webhookUrl!, token: config.sms.webhookToken, fetch });
  }

  // Demo mode serves the built H5 app too, when it has been built (pnpm start builds it).
  const webDist = fileURLToPath(new URL('../../web/dist', import.meta.url));
  const webRoot = config.demo && existsSync(join(webDist, 'index.html')) ? webDist : undefined;
  const app = createApp({
    config,
    log,
    store,
    kv,
    wechat,
    sms,
    smsInbox,
    random: cryptoRandom,
    now: Date.now,
    webRoot,
    metrics,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s)).once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
  log.info(
    {
      url,
      publicUrl: config.publicUrl,
      database: config.databaseUrl.split(':')[0],
      state: config.redisUrl ? 'redis' : 'in-process',
      demo: config.demo,
    },
    'wxauth BFF listening',
  );
  if (config.demo)
    announce(
      [
        '',
        '  wxauth is running in DEMO MODE: WeChat is the built-in simulator (WX_APPID is not set).',
        `  BFF:        ${url}  (public URL ${config.publicUrl})`,
        `  Simulator:  ${config.wechat.openBase}  (appid ${config.wechat.appid})`,
        webRoot
          ? `  Open:       ${config.publicUrl}/  (the H5 app; a desktop browser walks the journey as the simulated user)`
          : `  Start here: ${config.publicUrl}/api/auth/wechat/authorize?returnTo=/  (run pnpm build for the H5 app)`,
        '  SMS codes are not sent: read them at /api/dev/sms-inbox?phone=<phone>.',
        '',
      ].join('\n'),
    );

  return {
    config,
    url,
    sim,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.all([store.close(), kv.close(), sim?.close()]);
      log.flush?.();
    },
  };
}
