import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Config, WechatApps } from '../config.js';
import type { AppState } from '../http/context.js';
import type { SessionCookies } from './http.js';
import type { Metrics } from '../metrics.js';
import type { Jssdk } from '../services/jssdk.js';
import type { Account } from '../usecases/account.js';
import type { Login } from '../usecases/login.js';
import type { Operations } from '../usecases/operations.js';
import type { Proxy } from '../usecases/proxy.js';
import type { SiteIdentity } from '../usecases/siteIdentity.js';

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
