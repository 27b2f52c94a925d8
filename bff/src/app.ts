import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createCookieJar } from './http/cookies.js';
import { jsonBody } from './http/body.js';
import { errorHandler } from './http/errors.js';
import { sameOriginWrites } from './http/origin.js';
import { unambiguousPaths } from './http/path.js';
import { trustedProxyHeaders } from './http/proxy.js';
import { requestLog } from './http/requestLog.js';
import { serveWebApp } from './http/static.js';
import type { AppState } from './http/state.js';
import type { Kv } from './kv/types.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Random } from './random.js';
import { proxyRoutes } from './proxy/routes.js';
import { accountRoutes } from './routes/account.js';
import { authRoutes } from './routes/auth.js';
import { opsRoutes } from './routes/ops.js';
import { createAuthFlow } from './services/auth.js';
import { createJssdk } from './services/jssdk.js';
import { createProfiles } from './services/profiles.js';
import { createSealer } from './services/sealer.js';
import { createSessions } from './services/sessions.js';
import { createSmsCodes } from './services/sms.js';
import type { SmsProvider } from './sms/provider.js';
import type { Store } from './store/store.js';
import type { WechatClient } from './wechat/client.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  store: Store;
  kv: Kv;
  wechat: WechatClient;
  sms: SmsProvider;
  /** Demo mode: where the console SMS provider keeps codes for /api/dev/sms-inbox. */
  smsInbox?: Map<string, string>;
  random: Random;
  now: () => number;
  /** Demo mode: the built H5 app to serve (production serves it from nginx). */
  webRoot?: string;
  /** This instance's Prometheus metrics (the WeChat client reports to it too); a new set if absent. */
  metrics?: Metrics;
}

/** Builds the Koa app from its dependencies; it never listens (server.ts does). */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { config, kv, store, random, now } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const sessions = createSessions({
    kv,
    store,
    random,
    now,
    secret: config.sessionSecret,
    idleMs: config.session.idleMs,
    absoluteMs: config.session.absoluteMs,
  });
  const profiles = createProfiles({
    store,
    wechat: deps.wechat,
    sealer: config.profileTokenKey ? createSealer(config.profileTokenKey) : null,
    now,
    refreshAfterMs: config.profileRefreshMs,
    log: deps.log,
  });
  const routeDeps = {
    profiles,
    config,
    kv,
    store,
    random,
    sessions,
    cookies: createCookieJar(config.secure),
    smsInbox: deps.smsInbox,
    metrics,
    smsCodes: createSmsCodes({ kv, provider: deps.sms, random, secret: config.sessionSecret, now }),
    flow: createAuthFlow({
      kv,
      store,
      sessions,
      random,
      wechat: deps.wechat,
      app: { appid: config.wechat.appid, secret: config.wechat.secret },
      website: config.website?.secret ? { appid: config.website.appid, secret: config.website.secret } : undefined,
      redirectUri: `${config.publicUrl}/auth`,
      log: deps.log,
      profiles,
    }),
  };

  const router = new Router<AppState>();
  authRoutes(router, routeDeps);
  accountRoutes(router, routeDeps);
  opsRoutes(router, routeDeps);
  proxyRoutes(router, { config, kv, random, wechat: deps.wechat });
  const jssdk = createJssdk({
    wechat: deps.wechat,
    kv: deps.kv,
    app: config.wechat,
    tokenApi: config.tokenApi,
    origins: config.jssdkOrigins,
    random,
    now,
    log: deps.log,
  });
  router.get('/api/wechat/jssdk-config', async (ctx) => {
    // Pages on the site's other origins ask from the browser: CORS for exactly those, no credentials.
    const origin = ctx.get('origin');
    if (origin && origin !== config.publicUrl && config.jssdkOrigins.includes(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.vary('Origin');
    }
    ctx.body = await jssdk.config(ctx.query.url);
  });

  const app = new Koa<AppState>({ proxy: config.trustedProxies.length > 0 });
  app.silent = true;
  app.use(trustedProxyHeaders(config.trustedProxies));
  app.use(requestLog(deps.log, random, metrics));
  app.use(errorHandler());
  app.use(unambiguousPaths());
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use(sameOriginWrites([config.publicUrl]));
  app.use(jsonBody());
  app.use(router.routes());
  app.use(router.allowedMethods());
  // After the routes: whatever the BFF answers itself wins; the app gets the rest.
  if (deps.webRoot) app.use(serveWebApp(deps.webRoot));
  return app;
}
