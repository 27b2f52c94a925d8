import { unavailable } from '../errors.js';
import type { Kv } from '../kv/types.js';
import type { Random } from '../random.js';

/** Renew when less than this is left. */
const AHEAD_MS = 5 * 60_000;
/** While another instance renews, a value with more than this left is still handed out. */
const USABLE_MS = 60_000;
/** The lock's lease: a holder that dies mid-fetch blocks the others at most this long. */
const LEASE_MS = 15_000;
const POLL_MS = 50;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  const lockKey = `${o.key}:lock`;
  const left = (c: Cached | undefined) => (c ? c.expiresAt - o.now() : 0);
  let renewal: Promise<Cached> | undefined;

  async function renew(current: Cached | undefined): Promise<Cached> {
    // Waiting longer than a lease means the holder died or WeChat is very slow: try for the lock again.
    const deadline = Date.now() + 2 * LEASE_MS;
    while (Date.now() < deadline) {
      const owner = o.random.token(16);
      if (await o.kv.setIfAbsent(lockKey, owner, LEASE_MS)) {
        try {
          // Another instance may have renewed it between our read and our lock.
          const latest = await o.kv.get<Cached>(o.key);
          if (left(latest) > AHEAD_MS) return latest!;
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
      if (left(current) > USABLE_MS) return current!;
      await sleep(POLL_MS);
      const latest = await o.kv.get<Cached>(o.key);
      if (left(latest) > AHEAD_MS) return latest!;
      current = latest ?? current;
    }
    throw unavailable('state');
  }

  return {
    async get(): Promise<Cached> {
      const cached = await o.kv.get<Cached>(o.key);
      if (left(cached) > AHEAD_MS) return cached!;
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
