import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Config, WechatApps } from './platform/config.js';
import { createHostClient } from './adapters/host/client.js';
import { createDirectory } from './features/accounts/directory.js';
import { jsonBody } from './platform/http/body.js';
import type { AppState } from './platform/http/context.js';
import { errorHandler } from './platform/http/errorHandler.js';
import { trustedProxyHeaders } from './platform/http/forwarded.js';
import { limitPerIp } from './platform/http/limits.js';
import { sameOriginWrites } from './platform/http/origin.js';
import { unambiguousPaths } from './platform/http/path.js';
import { requestLog } from './platform/http/requestLog.js';
import { createSessionCookies } from './features/session/cookies.js';
import type { Kv } from './adapters/kv/types.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import type { Random } from './platform/random.js';
import { accountRoutes } from './features/binding/routes.js';
import { authRoutes } from './features/login/routes.js';
import type { AppRouter, RouteDeps } from './routes/context.js';
import { jssdkRoutes } from './features/jssdk/routes.js';
import { opsRoutes } from './features/operations/routes.js';
import { preflightRoutes } from './features/preflight/routes.js';
import { proxyRoutes } from './features/proxy/routes.js';
import { siteRoutes } from './features/site/routes.js';
import { createJssdk } from './features/jssdk/jssdk.js';
import { createProfiles } from './features/login/profiles.js';
import { createSealer } from './platform/sealer.js';
import { createSessions } from './features/session/sessions.js';
import { createSmsCodes } from './features/binding/smsCodes.js';
import type { Tokens } from './features/site/tokens.js';
import type { SmsProvider } from './adapters/sms/provider.js';
import type { Store } from './adapters/store/store.js';
import { createAccount } from './features/binding/account.js';
import { createLogin } from './features/login/login.js';
import { createOperations } from './features/operations/operations.js';
import { createProxy } from './features/proxy/proxy.js';
import { createSiteIdentity } from './features/site/siteIdentity.js';
import type { WechatClient } from './adapters/wechat/client.js';

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
