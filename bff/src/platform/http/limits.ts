import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { AppState } from './context.js';

/** Counts a hit against each budget: ok, or how long until the fullest one has room again. */
export type Hit = (
  budgets: Array<{ key: string; max: number; windowMs: number }>,
) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;

/** Counts a hit of an address against a budget of a minute or less, in this process. */
export type Flood = (
  name: string,
  ip: string,
  max: number,
  windowMs: number,
) => { ok: true } | { ok: false; retryAfterMs: number };

/** A route's per-IP budget: its name, how many requests, in what window. */
export type Limit = (name: string, max: number, windowMs: number) => Middleware<AppState>;

/** The longest budget that guards against floods alone (see limitPerIp). */
export const FLOOD_WINDOW_MS = 60_000;

/**
 * A per-IP budget for endpoints that write state for anonymous callers. A budget of a minute or less
 * guards against floods: with `floods`, it is counted there (this process's memory, when the state is
 * not shared with other instances), since a restart that starts it again lets through one more
 * minute at most. A longer budget guards against guessing (passwords) and is counted by `hit`, in
 * the state that outlives a restart.
 */
export const limitPerIp =
  (hit: Hit, floods?: Flood): Limit =>
  (name, max, windowMs) =>
  async (ctx, next) => {
    const result =
      floods && windowMs <= FLOOD_WINDOW_MS
        ? floods(name, ctx.ip, max, windowMs)
        : await hit([{ key: `rl:${name}:${ctx.ip}`, max, windowMs }]);
    if (!result.ok) {
      const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
      throw new AppError(429, 'RATE_LIMITED', undefined, { retryAfterSeconds });
    }
    return next();
  };
