import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';

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
 * Grants and refresh tokens go to the database (oidc_artifacts).
 * Revoking a grant leaves a mark that every artifact of that grant is checked against, so it takes
 * one atomic write however many tokens the grant issued.
 */
/** Grants and refresh tokens live long (days): they go to the database, the rest to the state store. */
const DURABLE = new Set(['Grant', 'RefreshToken']);

export function kvAdapter(kv: Kv, now: () => number, durable: Store['oidcArtifacts']) {
  const revoked = (grantId: string) => `oidc:revoked-grant:${grantId}`;
  const accountKey = (accountId: string) => `oidc:account:${accountId}`;

  /**
   * Which provider sessions an account has (uid → expiry), so that ending the customer's sessions in
   * wxauth can end them too. Updated under a short lock: two instances may sign one customer in at once.
   */
  async function indexSession(accountId: string, uid: string, exp: number): Promise<void> {
    const known = await kv.get<Record<string, number>>(accountKey(accountId));
    // Every request that touches a session saves it: the index changes only when it learns something.
    if (known?.[uid] !== undefined && known[uid] >= exp - 60 * 60_000) return;
    const lock = `${accountKey(accountId)}:lock`;
    const token = `${uid}:${exp}`;
    for (let tries = 0; tries < 50 && !(await kv.setIfAbsent(lock, token, 2_000)); tries++)
      await new Promise((r) => setTimeout(r, 10));
    try {
      const t = now();
      const index = Object.fromEntries(
        Object.entries((await kv.get<Record<string, number>>(accountKey(accountId))) ?? {}).filter(([, e]) => e > t),
      );
      index[uid] = exp;
      await kv.set(accountKey(accountId), index, Math.max(...Object.values(index)) - t);
    } finally {
      await kv.delIfEquals(lock, token);
    }
  }

  /** Every live provider session of an account (its authorizations: client → sid, grant), taken out of the store. */
  async function takeSessions(accountId: string): Promise<AdapterPayload[]> {
    const index = (await kv.take<Record<string, number>>(accountKey(accountId))) ?? {};
    const sessions: AdapterPayload[] = [];
    for (const uid of Object.keys(index)) {
      const id = await kv.get<string>(`oidc:Session:uid:${uid}`);
      const stored = id === undefined ? undefined : await kv.get<Stored>(`oidc:Session:${id}`);
      if (!stored || stored.payload.accountId !== accountId) continue;
      await kv.del(`oidc:Session:${id}`);
      sessions.push(stored.payload);
    }
    return sessions;
  }

  const KvAdapter = class implements Adapter {
    constructor(readonly name: string) {}

    private key(id: string): string {
      return `oidc:${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const ttlMs = (expiresIn > 0 ? expiresIn : LONGEST_TTL_S) * 1000;
      if (DURABLE.has(this.name)) {
        const grantId = payload.grantId ?? (this.name === 'Grant' ? id : null);
        await durable.save(this.name, id, payload, grantId, now() + ttlMs);
        // A login makes one grant: the moment to let expired rows go.
        if (this.name === 'Grant') await durable.purgeExpired();
        return;
      }
      await kv.set(this.key(id), { payload, exp: now() + ttlMs } satisfies Stored, ttlMs);
      if (payload.uid) await kv.set(this.key(`uid:${payload.uid}`), id, ttlMs);
      if (this.name === 'Session' && payload.accountId && payload.uid)
        await indexSession(payload.accountId, payload.uid, now() + ttlMs);
    }

    private async stored(id: string): Promise<Stored | undefined> {
      if (!DURABLE.has(this.name)) return kv.get<Stored>(this.key(id));
      const row = await durable.find(this.name, id);
      return row && { payload: row.payload as AdapterPayload, exp: row.expiresAt };
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const stored = await this.stored(id);
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
      const stored = await this.stored(id);
      const left = stored ? stored.exp - now() : 0;
      if (!stored || left <= 0) return;
      const payload = { ...stored.payload, consumed: Math.floor(now() / 1000) };
      if (DURABLE.has(this.name)) await durable.save(this.name, id, payload, payload.grantId ?? null, stored.exp);
      else await kv.set(this.key(id), { ...stored, payload } satisfies Stored, left);
    }

    async destroy(id: string): Promise<void> {
      if (DURABLE.has(this.name)) await durable.destroy(this.name, id);
      else await kv.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await kv.set(revoked(grantId), 1, LONGEST_TTL_S * 1000);
      await durable.revokeGrant(grantId);
    }
  };
  return { Adapter: KvAdapter as new (name: string) => Adapter, takeSessions };
}
