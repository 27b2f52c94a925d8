import { unavailable } from '../errors.js';
import type { Kv } from '../kv/types.js';
import type { Random } from '../random.js';

export interface Cached {
  value: string;
  expiresAt: number;
}

export interface CredentialOptions {
  kv: Kv;
  /** The cache key; its lock is `<key>:lock`. */
  key: string;
  /** Asks WeChat for a new one: the value and its lifetime in seconds. */
  fetch: () => Promise<{ value: string; expiresInSeconds: number }>;
  random: Random;
  now: () => number;
  /** Renew when less than this is left. */
  aheadMs?: number;
  /** While another instance renews, a value with more than this left is still handed out. */
  usableMs?: number;
  /** The lock's lease: a holder that dies mid-fetch blocks the others at most this long. */
  leaseMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of each renewal this instance makes (for the log: never the value itself). */
  onRenew?: (expiresAt: number) => void;
}

/**
 * One credential that WeChat rations (the global access_token, the jsapi_ticket), shared by every
 * instance through the store: read from the cache; renewed ahead of expiry by exactly one instance at
 * a time, which holds a lock (SET NX PX with a lease; released by compare-and-delete, so a holder whose
 * lease ran out cannot release its successor's lock). Within an instance, concurrent callers share
 * one renewal. The others keep using the current value while it has time left, or wait for the new one.
 */
export function createCredential(o: CredentialOptions) {
  const aheadMs = o.aheadMs ?? 5 * 60_000;
  const usableMs = o.usableMs ?? 60_000;
  const leaseMs = o.leaseMs ?? 15_000;
  const pollMs = o.pollMs ?? 50;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const lockKey = `${o.key}:lock`;
  const left = (c: Cached | undefined) => (c ? c.expiresAt - o.now() : 0);
  let renewal: Promise<Cached> | undefined;

  async function renew(current: Cached | undefined): Promise<Cached> {
    // Waiting longer than a lease means the holder died or WeChat is very slow: try for the lock again.
    const deadline = Date.now() + 2 * leaseMs;
    while (Date.now() < deadline) {
      const owner = o.random.token(16);
      if (await o.kv.setIfAbsent(lockKey, owner, leaseMs)) {
        try {
          // Another instance may have renewed it between our read and our lock.
          const latest = await o.kv.get<Cached>(o.key);
          if (left(latest) > aheadMs) return latest!;
          const got = await o.fetch();
          const lifeMs = got.expiresInSeconds * 1000;
          const fresh = { value: got.value, expiresAt: o.now() + lifeMs };
          await o.kv.set(o.key, fresh, lifeMs);
          o.onRenew?.(fresh.expiresAt);
          return fresh;
        } finally {
          await o.kv.delIfEquals(lockKey, owner).catch(() => undefined);
        }
      }
      if (left(current) > usableMs) return current!;
      await sleep(pollMs);
      const latest = await o.kv.get<Cached>(o.key);
      if (left(latest) > aheadMs) return latest!;
      current = latest ?? current;
    }
    throw unavailable('state');
  }

  return {
    async get(): Promise<Cached> {
      const cached = await o.kv.get<Cached>(o.key);
      if (left(cached) > aheadMs) return cached!;
      renewal ??= renew(cached).finally(() => (renewal = undefined));
      return renewal;
    },

    /** WeChat refused this value (40001/42001): drop it, unless another instance has replaced it already. */
    async expire(failed: Cached): Promise<void> {
      await o.kv.delIfEquals(o.key, failed);
    },
  };
}

export type Credential = ReturnType<typeof createCredential>;
