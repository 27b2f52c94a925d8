import { unavailable } from '../../platform/errors.js';
import type { Kv } from '../kv/types.js';
import type { Random } from '../../platform/random.js';

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
  /**
   * WeChat handed this value out again when asked for a new one (it keeps a jsapi_ticket until it
   * expires): asking sooner gets the same value, so it is used to its end and renewed only after.
   */
  final?: boolean;
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
  /** Good to hand out without renewing: more than AHEAD_MS left, or to its end when it is final. */
  const fresh = (c: Cached | undefined): boolean => left(c) > (c?.final ? 0 : AHEAD_MS);
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
          if (fresh(latest)) return latest!;
          // Its life counts from when WeChat answered, which is no earlier than when we asked.
          const askedAt = o.now();
          const got = await o.fetch();
          const lifeMs = got.expiresInSeconds * 1000;
          const renewed: Cached = { value: got.value, expiresAt: askedAt + lifeMs };
          if (got.value === latest?.value) renewed.final = true;
          if (lifeMs > 0) await o.kv.set(o.key, renewed, lifeMs);
          if (!renewed.final) o.onRenew?.(renewed.expiresAt);
          return renewed;
        } finally {
          await o.kv.delIfEquals(lockKey, owner).catch(() => undefined);
        }
      }
      if (left(current) > USABLE_MS) return current!;
      await sleep(POLL_MS);
      const latest = await o.kv.get<Cached>(o.key);
      if (fresh(latest)) return latest!;
      current = latest ?? current;
    }
    throw unavailable('state');
  }

  return {
    async get(): Promise<Cached> {
      const cached = await o.kv.get<Cached>(o.key);
      if (fresh(cached)) return cached!;
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
