import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Config } from '../config.js';
import { AppError, sessionRequired } from '../errors.js';
import type { CookieJar } from '../http/cookies.js';
import type { AppState } from '../http/state.js';
import type { Kv } from '../kv/types.js';
import type { Metrics } from '../metrics.js';
import type { Random } from '../random.js';
import type { AuthFlow } from '../services/auth.js';
import type { Profiles } from '../services/profiles.js';
import type { Sessions } from '../services/sessions.js';
import type { SmsCodes } from '../services/sms.js';
import type { Store } from '../store/store.js';

/** What the routes are given; routes never build their own dependencies. */
export interface RouteDeps {
  config: Config;
  cookies: CookieJar;
  sessions: Sessions;
  flow: AuthFlow;
  smsCodes: SmsCodes;
  store: Store;
  kv: Kv;
  random: Random;
  smsInbox?: Map<string, string>;
  profiles: Profiles;
  metrics: Metrics;
}

export type AppRouter = Router<AppState>;

/** Loads the session from its cookie into `ctx.state.session`, or answers 401. */
export function requireSession({ cookies, sessions }: RouteDeps): Middleware<AppState> {
  return async (ctx, next) => {
    const id = cookies.get(ctx, 'session');
    const session = await sessions.load(id);
    if (!session) {
      if (id) cookies.clear(ctx, 'session');
      throw sessionRequired();
    }
    ctx.state.session = session;
    return next();
  };
}

/** A per-IP budget for endpoints that write state for anonymous callers. */
export function limitPerIp(kv: Kv, name: string, max: number, windowMs: number): Middleware<AppState> {
  return async (ctx, next) => {
    const result = await kv.hit([{ key: `rl:${name}:${ctx.ip}`, max, windowMs }]);
    if (!result.ok) {
      const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
      throw new AppError(429, 'RATE_LIMITED', '请求太频繁，请稍后再试', { retryAfterSeconds });
    }
    return next();
  };
}

/** A query value that must appear at most once. */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}
