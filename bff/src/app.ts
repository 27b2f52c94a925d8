import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { HostClient } from './adapters/host/client.js';
import { createLocalSignals, type Signals } from './adapters/kv/signals.js';
import type { MemoryLimits } from './adapters/kv/memoryLimits.js';
import type { Kv } from './adapters/kv/types.js';
import type { SmsProvider } from './adapters/sms/provider.js';
import type { Store } from './adapters/store/store.js';
import type { WechatClient } from './adapters/wechat/client.js';
import { createGlobalToken } from './adapters/wechat/globalToken.js';
import { accountsRoutes, createDirectory, createRevocation } from './features/accounts/index.js';
import { bindingRoutes, createAccount, createSmsCodes } from './features/binding/index.js';
import { CONFIRM_MS, createFollowLogin, followRoutes } from './features/follow/index.js';
import { createJssdk, jssdkRoutes } from './features/jssdk/index.js';
import { createLogin, createProfiles, loginRoutes } from './features/login/index.js';
import { createMessagesRoutes, MESSAGES_PATH, type PushHandler } from './features/messages/index.js';
import { asPublic, type OidcRuntime, type OidcSettings } from './features/oidc/index.js';
import { createMiniProgram, miniProgramRoutes } from './features/miniprogram/index.js';
import { createOperations, operationsRoutes } from './features/operations/index.js';
import { preflightRoutes } from './features/preflight/index.js';
import { createProxy, proxyRoutes } from './features/proxy/index.js';
import { createBearerSessions, createSessionCookies, createSessions, sessionDoor } from './features/session/index.js';
import { createSiteIdentity, siteRoutes, type Tokens } from './features/site/index.js';
import type { Config, WechatApps } from './platform/config.js';
import { jsonBody } from './platform/http/body.js';
import type { AppRouter, AppState } from './platform/http/context.js';
import { errorHandler } from './platform/http/errorHandler.js';
import { trustedProxyHeaders } from './platform/http/forwarded.js';
import { limitPerIp } from './platform/http/limits.js';
import { sameOriginWrites } from './platform/http/origin.js';
import { unambiguousPaths } from './platform/http/path.js';
import { requestLog } from './platform/http/requestLog.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import type { Random } from './platform/random.js';
import { createSealer } from './platform/sealer.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  store: Store;
  kv: Kv;
  /** Notices between instances (Redis pub/sub); this process's own when absent (one instance). */
  signals?: Signals;
  /** Aborted when the server starts to shut down: long-lived answers (event streams) end then. */
  closing?: AbortSignal;
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
  /** The host's directory client (accounts' hostClients), when HOST_SIGNING_SECRET is set. */
  hostDirectory?: HostClient | null;
  /** The OpenID Connect provider's clients and keys (OIDC_CLIENTS_FILE); off when absent. */
  oidc?: OidcSettings | null;
  /** The provider's module (features/oidc's loadOidcRuntime), loaded by the caller when `oidc` is set. */
  oidcRuntime?: OidcRuntime;
  /** More push handlers, after the features' own and before the forward URL (tests). */
  pushHandlers?: PushHandler[];
  /**
   * Where the per-IP budgets of a minute are counted when not in `kv`: this process's memory, for a
   * state no other instance shares (limitPerIp). Absent: in `kv`, as every other limit.
   */
  floodLimits?: MemoryLimits;
}

/**
 * Builds the Koa app from the adapters: each feature's parts, then the middleware and every feature's
 * routes. It never listens (compose.ts does).
 */
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
  const directory = createDirectory(accounts.directory, { client: deps.hostDirectory ?? null, log });
  const website = apps.website?.secret ? { appid: apps.website.appid, secret: apps.website.secret } : undefined;

  const cookies = createSessionCookies({
    secure: config.secure,
    absoluteMs: config.session.absoluteMs,
    sessions,
    random,
  });
  const bearer = createBearerSessions({ sessions });
  // Routes open to a browser and a mini program alike: the request's bearer token, or its cookie.
  const door = sessionDoor(cookies, bearer);
  const { floodLimits } = deps;
  const limit = limitPerIp(
    (budgets) => kv.hit(budgets),
    floodLimits && ((name, ip, max, windowMs) => floodLimits.hit(name, ip, max, windowMs)),
  );
  const oidcRuntime = deps.oidc ? deps.oidcRuntime : undefined;
  if (deps.oidc && !oidcRuntime) throw new Error('createApp: oidc settings without the provider (loadOidcRuntime)');
  const oidc = deps.oidc
    ? oidcRuntime!.createOidcProvider({
        publicUrl: config.publicUrl,
        settings: deps.oidc,
        kv,
        store,
        now,
        log,
      })
    : null;
  const login = createLogin({
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
  });
  const account = createAccount({
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
    // A mini program's session binds in its own funnel; the others are login's to tell apart.
    flowOf: (session) => (session.identity.appid === apps.miniprogram?.appid ? 'mp' : login.flowOf(session)),
    onUnbound: oidc?.logoutAccount,
  });
  // The cluster's one global access_token, for every feature that calls WeChat with it.
  const token = createGlobalToken({
    wechat,
    kv,
    app: apps.official,
    tokenApi: config.tokenApi,
    random,
    now,
    log,
    onRenew: () => metrics.tokenRenewed(apps.official.appid),
  });
  const jssdk = createJssdk({
    wechat,
    kv,
    app: apps.official,
    tokenApi: config.tokenApi,
    origins: config.jssdkOrigins,
    random,
    now,
    log,
    token,
  });
  const mpBase = apps.mpBase ?? 'https://mp.weixin.qq.com';
  const follow = config.follow
    ? createFollowLogin({
        kv,
        signals: deps.signals ?? createLocalSignals(),
        appid: apps.official.appid,
        settings: config.follow,
        publicUrl: config.publicUrl,
        secret: config.sessionSecret,
        createQr: async (scene, expireSeconds) => {
          const qr = await token.use((t) => wechat.qrcodeCreate(t, { scene, expireSeconds }));
          // Demo mode: the simulator's code address is on its own origin (127.0.0.1); the browser reaches
          // the simulator as mpBase (localhost), where the banner's 换个新用户 keeps the simulated user.
          return config.demo ? { ...qr, url: onOrigin(qr.url, mpBase) } : qr;
        },
        // https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
        // (通过ticket换取二维码): the ticket URL-encoded.
        qrImage: (ticket) => `${mpBase}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`,
        enter: login.enter,
        demo: config.demo,
        random,
        now,
        log,
        metrics,
      })
    : null;

  const router = new Router<AppState>();
  loginRoutes(router, { config, apps, cookies, door, login, limit, onLogout: oidc?.logoutBrowser });
  bindingRoutes(router, { door, account, limit });
  // WX_MINIPROGRAM_APPID and its secret (in demo mode, the simulator's mini program): off without them.
  if (apps.miniprogram) {
    const mp = createMiniProgram({
      app: apps.miniprogram,
      wechat,
      store,
      sessions,
      account,
      kv,
      tokenApi: config.tokenApi,
      random,
      now,
      log,
      metrics,
    });
    miniProgramRoutes(router, { bearer, mp, limit });
  }
  followRoutes(router, {
    follow,
    cookies,
    limit,
    publicUrl: config.publicUrl,
    secure: config.secure,
    cookieMs: (config.follow?.ttlSeconds ?? 0) * 1000 + CONFIRM_MS + 2 * 60_000,
    closing: deps.closing,
  });
  jssdkRoutes(router, { config, jssdk });
  const operations = createOperations({ store, kv });
  metrics.checkReadyWith(operations.checks);
  operationsRoutes(router, { config, apps, operations, metrics });
  accountsRoutes(router, {
    config,
    revocation: createRevocation({ store, kv, sessions, onRevoked: oidc?.logoutAccount }),
  });
  proxyRoutes(router, { config, proxy: createProxy({ config, apps, kv, random, wechat }), limit });
  siteRoutes(router, {
    config,
    cookies,
    door,
    login,
    site: createSiteIdentity({ sessions, tokens: deps.tokens ?? null }),
    limit,
  });
  preflightRoutes(router, { config, apps, wechat, limit });
  if (config.messages) {
    const messages = createMessagesRoutes({
      config: config.messages,
      appid: apps.official.appid,
      kv,
      store,
      log,
      metrics,
      random,
      now,
      // The follow login's scans first: its scenes (wxauth_…) are its own, everything else goes on.
      handlers: [...(follow ? [follow.pushHandler] : []), ...(deps.pushHandlers ?? [])],
    });
    router.use(messages.routes());
  }
  const publicRequest = asPublic(config.publicUrl);
  if (oidc) oidcRuntime!.oidcRoutes(router, { ...oidc, sessions, cookies, asPublic: publicRequest, demo: config.demo });
  deps.demo?.routes?.(router);

  // maxIpsCount 1: the client is the address nginx saw (the last X-Forwarded-For entry), never one a
  // client wrote in front of it.
  const app = new Koa<AppState>({ proxy: config.trustedProxies.length > 0, maxIpsCount: 1 });
  app.silent = true;
  app.use(trustedProxyHeaders(config.trustedProxies));
  app.use(requestLog(log, random, metrics));
  // The provider answers its own errors as OAuth errors, so it comes before ours.
  if (oidc) app.use(oidcRuntime!.mountOidc(oidc.provider, { sessions, cookies, asPublic: publicRequest }));
  app.use(errorHandler());
  app.use(unambiguousPaths());
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use(sameOriginWrites([config.publicUrl]));
  app.use(jsonBody([MESSAGES_PATH]));
  app.use(router.routes());
  app.use(router.allowedMethods());
  // After the routes: whatever the BFF answers itself wins; the app gets the rest.
  if (deps.demo?.fallback) app.use(deps.demo.fallback);
  return app;
}

/** `url` with the scheme, host and port of `base`. */
function onOrigin(url: string, base: string): string {
  const moved = new URL(url);
  const { protocol, host } = new URL(base);
  moved.protocol = protocol;
  moved.host = host;
  return moved.href;
}
