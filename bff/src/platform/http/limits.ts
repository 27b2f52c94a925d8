import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { AppState } from './context.js';

/** Counts a hit against each budget: ok, or how long until the fullest one has room again. */
export type Hit = (
  budgets: Array<{ key: string; max: number; windowMs: number }>,
) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;

/** A route's per-IP budget: its name, how many requests, in what window. */
export type Limit = (name: string, max: number, windowMs: number) => Middleware<AppState>;

/** A per-IP budget for endpoints that write state for anonymous callers. */
export const limitPerIp =
  (hit: Hit): Limit =>
  (name, max, windowMs) =>
  async (ctx, next) => {
    const result = await hit([{ key: `rl:${name}:${ctx.ip}`, max, windowMs }]);
    if (!result.ok) {
      const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
      throw new AppError(429, 'RATE_LIMITED', undefined, { retryAfterSeconds });
    }
    return next();
  };
