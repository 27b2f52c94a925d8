import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Config, WechatApps } from './config.js';
import { createHostClient } from './host/client.js';
import { createDirectory } from './host/directory.js';
import { jsonBody } from './http/body.js';
import type { AppState } from './http/context.js';
import { errorHandler } from './http/errors.js';
import { trustedProxyHeaders } from './http/forwarded.js';
import { limitPerIp } from './http/limits.js';
import { sameOriginWrites } from './http/origin.js';
import { unambiguousPaths } from './http/path.js';
import { requestLog } from './http/requestLog.js';
import { createSessionCookies } from './routes/http.js';
import type { Kv } from './kv/types.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Random } from './random.js';
import { accountRoutes } from './routes/account.js';
import { authRoutes } from './routes/auth.js';
import type { AppRouter, RouteDeps } from './routes/context.js';
import { jssdkRoutes } from './routes/jssdk.js';
import { opsRoutes } from './routes/ops.js';
import { preflightRoutes } from './routes/preflight.js';
import { proxyRoutes } from './routes/proxy.js';
import { siteRoutes } from './routes/site.js';
import { createJssdk } from './services/jssdk.js';
import { createProfiles } from './services/profiles.js';
import { createSealer } from './services/sealer.js';
import { createSessions } from './services/sessions.js';
import { createSmsCodes } from './services/smsCodes.js';
import type { Tokens } from './services/tokens.js';
import type { SmsProvider } from './sms/provider.js';
import type { Store } from './store/store.js';
import { createAccount } from './usecases/account.js';
import { createLogin } from './usecases/login.js';
import { createOperations } from './usecases/operations.js';
import { createProxy } from './usecases/proxy.js';
import { createSiteIdentity } from './usecases/siteIdentity.js';
import type { WechatClient } from './wechat/client.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  store: Store;
  kv: Kv;
  wechat: WechatClient;
  sms: SmsProvider;
  /** Who we are to WeChat: the configured apps, or the demo's simulator's. */
  apps: WechatApps;
  random: Random;
  now: () => number;
  /** Demo mode: its own routes (the SMS inbox) and what answers after the routes (the H5 app). */
  demo?: { routes?(router: AppRouter): void; fallback?: Middleware<AppState> };
  /** Identity tokens for the site's other services; null when no signing key is configured. */
  tokens?: Tokens | null;
  /** This instance's Prometheus metrics (the WeChat client reports to it too); a new set if absent. */
  metrics?: Metrics;
}

/** Builds the Koa app from its dependencies; it never listens (server.ts does). */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { config, apps, kv, store, random, now, log, wechat } = deps;
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
    wechat,
    sealer: config.profileTokenKey ? createSealer(config.profileTokenKey) : null,
    now,
    refreshAfterMs: config.profileRefreshMs,
    log,
  });
  const smsCodes = createSmsCodes({ kv, provider: deps.sms, random, secret: config.sessionSecret, now });
  const { accounts } = config;
  const hostClient = accounts.hostSecrets[0]
    ? createHostClient({
        secret: accounts.hostSecrets[0],
        timeoutMs: accounts.directory.kind === 'webhook' ? accounts.directory.timeoutMs : 3000,
      })
    : null;
  const directory = createDirectory(accounts.directory, { client: hostClient, log });
  const website = apps.website?.secret ? { appid: apps.website.appid, secret: apps.website.secret } : undefined;

  const routeDeps: RouteDeps = {
    config,
    apps,
    metrics,
    cookies: createSessionCookies({ secure: config.secure, absoluteMs: config.session.absoluteMs, sessions, random }),
    limit: limitPerIp((budgets) => kv.hit(budgets)),
    login: createLogin({
      kv,
      store,
      sessions,
      random,
      wechat,
      app: apps.official,
      website,
      redirectUri: `${config.publicUrl}/auth`,
      log,
      profiles,
      metrics,
    }),
    account: createAccount({
      store,
      sessions,
      smsCodes,
      profiles,
      directory,
      bindMethods: accounts.bindMethods,
      kv,
      now,
      secret: config.sessionSecret,
      log,
      metrics,
    }),
    operations: createOperations({ store, kv, sessions }),
    proxy: createProxy({ config, apps, kv, random, wechat }),
    site: createSiteIdentity({ sessions, tokens: deps.tokens ?? null }),
    jssdk: createJssdk({
      wechat,
      kv,
      app: apps.official,
      tokenApi: config.tokenApi,
      origins: config.jssdkOrigins,
      random,
      now,
      log,
    }),
  };

  const router = new Router<AppState>();
  for (const routes of [authRoutes, accountRoutes, jssdkRoutes, opsRoutes, proxyRoutes, siteRoutes, preflightRoutes])
    routes(router, routeDeps);
  deps.demo?.routes?.(router);

  // maxIpsCount 1: the client is the address nginx saw (the last X-Forwarded-For entry), never one a
  // client wrote in front of it.
  const app = new Koa<AppState>({ proxy: config.trustedProxies.length > 0, maxIpsCount: 1 });
  app.silent = true;
  app.use(trustedProxyHeaders(config.trustedProxies));
  app.use(requestLog(log, random, metrics));
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
  if (deps.demo?.fallback) app.use(deps.demo.fallback);
  return app;
}
