import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Config, WechatApps } from '../platform/config.js';
import type { AppState } from '../platform/http/context.js';
import type { SessionCookies } from '../features/session/cookies.js';
import type { Metrics } from '../platform/metrics.js';
import type { Jssdk } from '../features/jssdk/jssdk.js';
import type { Account } from '../features/binding/account.js';
import type { Login } from '../features/login/login.js';
import type { Operations } from '../features/operations/operations.js';
import type { Proxy } from '../features/proxy/proxy.js';
import type { SiteIdentity } from '../features/site/siteIdentity.js';

/** What the routes are given: use-cases to call and the HTTP side of the session, never a store. */
export interface RouteDeps {
  config: Config;
  /** Who we are to WeChat (the demo's simulator apps in demo mode). */
  apps: WechatApps;
  cookies: SessionCookies;
  /** A per-IP budget for a route. */
  limit: (name: string, max: number, windowMs: number) => Middleware<AppState>;
  login: Login;
  account: Account;
  operations: Operations;
  proxy: Proxy;
  /** Who is signed in, for the site's other services (forward-auth, identity tokens). */
  site: SiteIdentity;
  jssdk: Jssdk;
  metrics: Metrics;
}

export type AppRouter = Router<AppState>;
