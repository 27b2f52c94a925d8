import { createSimulator, demoApps, type RunningSimulator } from '@wxauth/wechat-sim';
import { pino } from 'pino';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createMemoryKv } from './kv/memory.js';
import { cryptoRandom } from './random.js';
import { createConsoleSms, createWebhookSms, type SmsProvider } from './sms/provider.js';
import { migrate, openDatabase } from './store/db.js';
import { createStore } from './store/store.js';
import { createWechatClient } from './wechat/client.js';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}

// Buffered, so a busy server makes one write per few kilobytes of logs instead of one per line;
// flushed on shutdown.
const logDestination = pino.destination({ sync: false, minLength: 4096 });
const log = pino({ level: config.logLevel, base: { service: 'wxauth-bff' } }, logDestination);

let sim: RunningSimulator | undefined;
if (config.demo) {
  // Demo mode: WeChat is the embedded simulator, seeded with an Official Account whose callback domain is ours.
  const callbackDomain = new URL(config.publicUrl).hostname;
  const apps = demoApps(callbackDomain);
  const official = apps[0]!;
  sim = await createSimulator({ apps, allowPorts: true }).listen(config.simPort, '127.0.0.1');
  const simOrigin = sim.origin.replace('127.0.0.1', callbackDomain === 'localhost' ? 'localhost' : '127.0.0.1');
  config = {
    ...config,
    wechat: {
      ...config.wechat,
      appid: official.appid,
      secret: official.secret,
      openBase: simOrigin,
      apiBase: sim.origin,
    },
  };
}

const db = openDatabase(config.databaseUrl);
await migrate(db);
const store = createStore(db);
const kv = createMemoryKv();
const wechat = createWechatClient({
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

const app = createApp({ config, log, store, kv, wechat, sms, smsInbox, random: cryptoRandom, now: Date.now });
const server = app.listen(config.port, config.host, () => {
  log.info(
    { port: config.port, publicUrl: config.publicUrl, database: config.databaseUrl.split(':')[0] },
    'wxauth BFF listening',
  );
  if (config.demo)
    console.log(
      [
        '',
        '  wxauth is running in DEMO MODE: WeChat is the built-in simulator (WX_APPID is not set).',
        `  BFF:        http://${config.host}:${config.port}  (public URL ${config.publicUrl})`,
        `  Simulator:  ${config.wechat.openBase}  (appid ${config.wechat.appid})`,
        `  Start here: ${config.publicUrl}/api/auth/wechat/authorize?returnTo=/`,
        '  SMS codes are not sent: read them at /api/dev/sms-inbox?phone=<phone>.',
        '',
      ].join('\n'),
    );
});
server.keepAliveTimeout = 65_000;

const shutdown = (signal: string) => {
  log.info({ signal }, 'shutting down');
  server.close(async () => {
    await Promise.all([store.close(), kv.close(), sim?.close()]);
    logDestination.flushSync();
    process.exit(0);
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
