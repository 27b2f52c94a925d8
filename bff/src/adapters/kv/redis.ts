import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { unavailable } from '../../platform/errors.js';
import type { Entry, Kv, Limit, LimitResult } from './types.js';

const INCR_WITH_TTL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const DEL_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Redis could not be reached or refused us; `reason` says why without the URL (and its password). */
export class RedisUnreachable extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`REDIS_URL: cannot connect to Redis (${reason})`, options);
    this.name = 'RedisUnreachable';
  }
}

/** Why Redis failed, without the URL: the system's code (ECONNREFUSED), or Redis's own words. */
export function redisReason(err: unknown): string {
  if (err instanceof RedisUnreachable) return err.reason;
  const e = err as { code?: string; message?: string };
  if (e.code) return e.code;
  const message = e.message ?? 'failed';
  return /WRONGPASS|NOAUTH|invalid password/i.test(message) ? 'the password is refused' : message.split('\n')[0]!;
}

/**
 * Connects to REDIS_URL. Commands fail at once while Redis is away (no offline queue, a short command
 * timeout), so a request gets a clear 503 instead of hanging; ioredis keeps reconnecting behind it.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let down = false;
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => {
    lastError = err;
    // One line per outage, not one per reconnection attempt; the URL (and its password) is never logged.
    if (!down) log.error({ err: { message: err.message } }, 'redis unreachable: logins fail closed until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.warn('redis is back');
    down = false;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    // A failed connection rejects with "Connection is closed."; its cause came as an error event.
    const cause = lastError ?? err;
    throw new RedisUnreachable(redisReason(cause), { cause });
  }
  return redis;
}

/**
 * The shared store for several instances; every key lives under `prefix` (REDIS_KEY_PREFIX), so
 * deployments can share a Redis. Values are JSON strings with a TTL. Limits go through
 * rate-limiter-flexible, with an in-process insurance limiter per limit: while Redis is down, limits
 * are still counted (per instance) and every other operation fails with 503 — flows fail closed.
 */
export function createRedisKv(redis: Redis, prefix: string): Kv {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (l: Limit) => {
    const name = `${l.max}:${l.windowMs}`;
    let found = limiters.get(name);
    if (!found) {
      const options = { points: l.max, duration: Math.ceil(l.windowMs / 1000) };
      found = new RateLimiterRedis({
        ...options,
        storeClient: redis,
        keyPrefix: `${prefix}rl:${name}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      });
      limiters.set(name, found);
    }
    return found;
  };

  /** Any Redis failure becomes the one 503: callers never see a driver error. */
  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch {
      throw unavailable('state');
    }
  };
  const k = (key: string) => prefix + key;
  const parse = <T>(raw: string | null) => (raw === null ? undefined : (JSON.parse(raw) as T));

  return {
    get: <T>(key: string) => guard(async () => parse<T>(await redis.get(k(key)))),
    set: (key, value, ttlMs) =>
      guard(async () => {
        await redis.set(k(key), JSON.stringify(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
      }),
    take: <T>(key: string) => guard(async () => parse<T>(await redis.getdel(k(key)))),
    // GETDEL, then SET: the take is atomic on its own, and what follows it depends on what it took.
    // A failure between the two leaves the state taken and nothing set, as two calls would.
    takeThenSet: <T>(key: string, then: (value: T) => Entry | undefined) =>
      guard(async () => {
        const value = parse<T>(await redis.getdel(k(key)));
        const next = value === undefined ? undefined : then(value);
        if (next) await redis.set(k(next.key), JSON.stringify(next.value), 'PX', Math.max(1, Math.ceil(next.ttlMs)));
        return value;
      }),
    del: (key) =>
      guard(async () => {
        await redis.del(k(key));
      }),
    setIfAbsent: (key, value, ttlMs) =>
      guard(async () => (await redis.set(k(key), JSON.stringify(value), 'PX', Math.ceil(ttlMs), 'NX')) === 'OK'),
    delIfEquals: (key, value) =>
      guard(async () => Number(await redis.eval(DEL_IF_EQUALS, 1, k(key), JSON.stringify(value))) === 1),
    incr: (key, ttlMs) => guard(async () => Number(await redis.eval(INCR_WITH_TTL, 1, k(key), Math.ceil(ttlMs)))),

    /**
     * Looks first and counts only when no limit is used up, so waiting out one limit does not spend
     * another; a limit used up between the look and the count is handed back (reward).
     */
    async hit(limits: Limit[]): Promise<LimitResult> {
      const now = await Promise.all(limits.map((l) => limiter(l).get(l.key)));
      const full = now.flatMap((res, i) => (res && res.consumedPoints >= limits[i]!.max ? [res.msBeforeNext] : []));
      if (full.length) return { ok: false, retryAfterMs: Math.max(...full) };
      const counted = await Promise.allSettled(limits.map((l) => limiter(l).consume(l.key)));
      const refused = counted.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      if (!refused.length) return { ok: true };
      await Promise.allSettled(
        counted.map((r, i) => (r.status === 'fulfilled' ? limiter(limits[i]!).reward(limits[i]!.key) : undefined)),
      );
      const waits = refused.map((r) => (r instanceof RateLimiterRes ? r.msBeforeNext : 5000));
      return { ok: false, retryAfterMs: Math.max(...waits) };
    },

    ping: () =>
      guard(async () => {
        await redis.ping();
      }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
