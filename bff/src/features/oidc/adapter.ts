import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Kv } from '../../adapters/kv/types.js';

/** The longest any artifact lives (grants, refresh tokens, sessions): a revoked grant is remembered as long. */
export const LONGEST_TTL_S = 14 * 24 * 60 * 60;

interface Stored {
  payload: AdapterPayload;
  /** When the key expires (ms): consume() keeps the remaining life. */
  exp: number;
}

/**
 * oidc-provider's storage over our state store (Redis, the SQLite file, or memory), so every instance
 * sees one login: one key per artifact with its TTL, an index by uid for interactions and sessions.
 * Revoking a grant leaves a mark that every artifact of that grant is checked against, so it takes
 * one atomic write however many tokens the grant issued.
 */
export function kvAdapter(kv: Kv, now: () => number): new (name: string) => Adapter {
  const revoked = (grantId: string) => `oidc:revoked-grant:${grantId}`;
  return class KvAdapter implements Adapter {
    constructor(readonly name: string) {}

    private key(id: string): string {
      return `oidc:${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const ttlMs = (expiresIn > 0 ? expiresIn : LONGEST_TTL_S) * 1000;
      await kv.set(this.key(id), { payload, exp: now() + ttlMs } satisfies Stored, ttlMs);
      if (payload.uid) await kv.set(this.key(`uid:${payload.uid}`), id, ttlMs);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = await kv.get<Stored>(this.key(id));
      if (!stored) return undefined;
      const { grantId } = stored.payload;
      if (grantId && (await kv.get(revoked(grantId)))) return undefined;
      return stored.payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await kv.get<string>(this.key(`uid:${uid}`));
      return id === undefined ? undefined : this.find(id);
    }

    // Device flow is off: no user codes.
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const stored = await kv.get<Stored>(this.key(id));
      const left = stored ? stored.exp - now() : 0;
      if (!stored || left <= 0) return;
      const consumed = Math.floor(now() / 1000);
      await kv.set(this.key(id), { ...stored, payload: { ...stored.payload, consumed } } satisfies Stored, left);
    }

    async destroy(id: string): Promise<void> {
      await kv.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await kv.set(revoked(grantId), 1, LONGEST_TTL_S * 1000);
      await kv.del(`oidc:Grant:${grantId}`);
    }
  };
}
