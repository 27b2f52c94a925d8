import { createHmac } from 'node:crypto';
import type { Kv } from '../kv/types.js';
import type { Random } from '../random.js';
import type { Identity, Store } from '../store/store.js';

export interface SessionRecord {
  identityId: number;
  createdAt: number;
  lastSeenAt: number;
  /** Where to go once bound. */
  returnTo: string;
}

export interface Session extends SessionRecord {
  /** The id the browser holds (never stored as is). */
  id: string;
  /** The key the server files it under: an HMAC of the id, also used to bind SMS codes to it. */
  key: string;
  identity: Identity;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Opaque 256-bit session ids, stored under their HMAC so a dump of the store holds no usable id.
 * Idle timeout via the store's TTL, absolute timeout via createdAt, revocation via the identity's
 * revoked_at: unbinding or a host-system revoke voids every older session at once.
 */
export function createSessions(deps: {
  kv: Kv;
  store: Store;
  random: Random;
  now: () => number;
  secret: string;
  idleMs: number;
  absoluteMs: number;
}) {
  const { kv, store, now } = deps;
  const keyOf = (id: string) => createHmac('sha256', deps.secret).update(id).digest('base64url');
  const kvKey = (key: string) => `sess:${key}`;

  return {
    async create(identityId: number, returnTo: string): Promise<string> {
      const id = deps.random.token(32);
      const t = now();
      const record: SessionRecord = { identityId, createdAt: t, lastSeenAt: t, returnTo };
      await kv.set(kvKey(keyOf(id)), record, deps.idleMs);
      return id;
    },

    async load(id: string | undefined): Promise<Session | undefined> {
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
      const key = keyOf(id);
      const record = await kv.get<SessionRecord>(kvKey(key));
      if (!record) return undefined;
      const t = now();
      const identity = await store.identityById(record.identityId);
      const revoked = !identity || (identity.revoked_at !== null && identity.revoked_at >= record.createdAt);
      if (revoked || t - record.createdAt > deps.absoluteMs) {
        await kv.del(kvKey(key));
        return undefined;
      }
      if (t - record.lastSeenAt > TOUCH_EVERY_MS) {
        record.lastSeenAt = t;
        await kv.set(kvKey(key), record, Math.min(deps.idleMs, record.createdAt + deps.absoluteMs - t));
      }
      return { ...record, id, key, identity };
    },

    destroy: (id: string) => kv.del(kvKey(keyOf(id))),
  };
}

export type Sessions = ReturnType<typeof createSessions>;
