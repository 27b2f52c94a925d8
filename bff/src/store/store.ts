import type { Kysely, Selectable, Updateable } from 'kysely';
import type { CustomersTable, Database, WechatIdentitiesTable } from './schema.js';

export type Identity = Selectable<WechatIdentitiesTable>;
export type Customer = Selectable<CustomersTable>;

export interface IdentityInput {
  appid: string;
  openid: string;
  unionid?: string | null;
  nickname?: string | null;
  avatarUrl?: string | null;
}

export type Store = ReturnType<typeof createStore>;

/**
 * Who loses the customer when `identity` binds its phone: the other identities of its app bound to it,
 * and the same people's identities in the other apps (by their unionid), never `identity`'s own.
 */
async function displaced(
  db: Kysely<Database>,
  customerId: number,
  identity: Pick<Identity, 'id' | 'appid' | 'unionid'>,
): Promise<number[]> {
  const bound = await db
    .selectFrom('wechat_identities')
    .select(['id', 'appid', 'unionid'])
    .where('customer_id', '=', customerId)
    .where('id', '!=', identity.id)
    .execute();
  const sameApp = bound.filter((i) => i.appid === identity.appid);
  const people = new Set(sameApp.map((i) => i.unionid).filter((u) => u !== null && u !== identity.unionid));
  return bound
    .filter((i) => i.appid === identity.appid || (i.unionid !== null && people.has(i.unionid)))
    .map((i) => i.id);
}

export function createStore(db: Kysely<Database>, now: () => number = Date.now) {
  /** Unbinding: no customer, and every session of the identity made before now is void. */
  const unbound = () => {
    const t = now();
    return { customer_id: null, bound_at: null, revoked_at: t, updated_at: t };
  };

  /**
   * Read committed: after an insert that was ignored because another transaction's row exists, the
   * next read must see that row (MySQL's default, repeatable read, would read the older snapshot).
   * SQLite runs transactions one at a time and ignores the level.
   */
  const tx = () => db.transaction().setIsolationLevel('read committed');

  const identityById = (id: number) =>
    db.selectFrom('wechat_identities').selectAll().where('id', '=', id).executeTakeFirst();

  return {
    identityById,
    customerById: (id: number) => db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst(),

    /**
     * The identity for (appid, openid), created on first sight. Insert-or-ignore then read, so any
     * number of concurrent first logins of one openid make exactly one row and no error.
     */
    async upsertIdentity(input: IdentityInput): Promise<Identity> {
      const find = () =>
        db
          .selectFrom('wechat_identities')
          .selectAll()
          .where('appid', '=', input.appid)
          .where('openid', '=', input.openid)
          .executeTakeFirst();
      const t = now();
      const existing = await find();
      if (!existing) {
        await db
          .insertInto('wechat_identities')
          .values({
            appid: input.appid,
            openid: input.openid,
            unionid: input.unionid ?? null,
            nickname: input.nickname ?? null,
            avatar_url: input.avatarUrl ?? null,
            created_at: t,
            updated_at: t,
          })
          .orIgnore()
          .execute();
        return (await find())!;
      }
      // A returning user costs one read; a write only when WeChat told us something new.
      const update: Updateable<WechatIdentitiesTable> = {};
      if (input.unionid && input.unionid !== existing.unionid) update.unionid = input.unionid;
      if (input.nickname && input.nickname !== existing.nickname) update.nickname = input.nickname;
      if (input.avatarUrl && input.avatarUrl !== existing.avatar_url) update.avatar_url = input.avatarUrl;
      if (!Object.keys(update).length) return existing;
      await db
        .updateTable('wechat_identities')
        .set({ ...update, updated_at: t })
        .where('id', '=', existing.id)
        .execute();
      return { ...existing, ...update, updated_at: t } as Identity;
    },

    /**
     * An unbound identity joins the customer its unionid is already bound to, through another app of
     * the same Open Platform account: one person, one customer. Not when the unionid is bound to
     * several customers (a conflict: the user binds by phone), and not for an identity whose binding
     * was revoked, unless the phone was proven again since (a binding newer than the revocation).
     */
    async adoptByUnionid(identity: Identity): Promise<{ identity: Identity; conflict: boolean }> {
      const unionid = identity.unionid;
      if (identity.customer_id !== null || !unionid) return { identity, conflict: false };
      return tx().execute(async (trx) => {
        let query = trx
          .selectFrom('wechat_identities')
          .select('customer_id')
          .where('unionid', '=', unionid)
          .where('id', '!=', identity.id)
          .where('customer_id', 'is not', null);
        if (identity.revoked_at !== null) query = query.where('bound_at', '>', identity.revoked_at);
        const customers = [...new Set((await query.execute()).map((r) => r.customer_id!))];
        if (customers.length !== 1) return { identity, conflict: customers.length > 1 };
        const t = now();
        const joined = { customer_id: customers[0]!, bound_at: t, updated_at: t };
        await trx
          .updateTable('wechat_identities')
          .set(joined)
          .where('id', '=', identity.id)
          .where('customer_id', 'is', null)
          .execute();
        return { identity: { ...identity, ...joined }, conflict: false };
      });
    },

    /**
     * Binds the identity to the customer with this phone, creating the customer, in one transaction.
     * Another identity of the same app bound to that customer is unbound and its sessions revoked:
     * the SMS code proved the phone, which is the same proof the old binding rested on. So are the
     * other apps' identities of the person it displaced (their unionid): a number given to someone
     * new is not left readable from the old holder's PC. Another app's identity that is not known to
     * be someone else's stays (binding the same phone on the PC joins the accounts).
     */
    async bindPhone(identityId: number, phone: string): Promise<{ customer: Customer; replaced: number }> {
      return tx().execute(async (trx) => {
        const t = now();
        const identity = await trx
          .selectFrom('wechat_identities')
          .selectAll()
          .where('id', '=', identityId)
          .executeTakeFirstOrThrow();
        await trx.insertInto('customers').values({ phone, created_at: t, updated_at: t }).orIgnore().execute();
        const customer = await trx
          .selectFrom('customers')
          .selectAll()
          .where('phone', '=', phone)
          .executeTakeFirstOrThrow();
        const displacedIds = await displaced(trx, customer.id, identity);
        if (displacedIds.length)
          await trx.updateTable('wechat_identities').set(unbound()).where('id', 'in', displacedIds).execute();
        await trx
          .updateTable('wechat_identities')
          .set({ customer_id: customer.id, bound_at: t, updated_at: t })
          .where('id', '=', identityId)
          .execute();
        return { customer, replaced: displacedIds.length };
      });
    },

    /** Nickname, avatar and the sealed tokens after a profile fetch (undefined leaves a field as it is). */
    async updateProfile(
      identityId: number,
      p: { nickname?: string | null; avatarUrl?: string | null; tokensSealed: string | null; refreshedAt?: number },
    ): Promise<void> {
      const set: Updateable<WechatIdentitiesTable> = { tokens_sealed: p.tokensSealed, updated_at: now() };
      if (p.nickname) set.nickname = p.nickname;
      if (p.avatarUrl) set.avatar_url = p.avatarUrl;
      if (p.refreshedAt !== undefined) set.profile_refreshed_at = p.refreshedAt;
      await db.updateTable('wechat_identities').set(set).where('id', '=', identityId).execute();
    },

    /** Unbinds one identity and voids its sessions. */
    async unbind(identityId: number): Promise<void> {
      await db.updateTable('wechat_identities').set(unbound()).where('id', '=', identityId).execute();
    },

    /** Drops every WeChat binding of a customer and voids their sessions; false when there is no such customer. */
    async revokeCustomer(customerId: number): Promise<boolean> {
      return tx().execute(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
        if (!customer) return false;
        await trx.updateTable('wechat_identities').set(unbound()).where('customer_id', '=', customerId).execute();
        return true;
      });
    },

    /**
     * The identities bound to the customer with this phone (or this customer id), in this app or any:
     * the ones a binding or a revoke is about to unbind.
     */
    async boundIdentities(p: { customerId: number } | { phone: string; movingTo: Identity }): Promise<number[]> {
      const customerId =
        'customerId' in p
          ? p.customerId
          : (await db.selectFrom('customers').select('id').where('phone', '=', p.phone).executeTakeFirst())?.id;
      if (customerId === undefined) return [];
      if ('movingTo' in p) return displaced(db, customerId, p.movingTo);
      const bound = await db
        .selectFrom('wechat_identities')
        .select('id')
        .where('customer_id', '=', customerId)
        .execute();
      return bound.map((r) => r.id);
    },

    async ping(): Promise<void> {
      await db.selectFrom('customers').select('id').limit(1).execute();
    },

    close: () => db.destroy(),
  };
}
