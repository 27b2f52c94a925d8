import { maskPhone } from '@wxauth/contract';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { maskOpenid, SYSTEM, writeAudit, type Actor } from './audit.js';
import { enqueueEvents, type EventType } from './outbox.js';
import { precompiled } from './db.js';
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
 * Which customer a binding is to, as the directory answered. `ref` null: a customer of wxauth's own,
 * found or made by the phone (the built-in directory, or an unknown phone with DIRECTORY_UNKNOWN_PHONE=create);
 * its ref is its number, prefixed with `localPrefix` when the host's ids share the namespace.
 */
export type CustomerClaim =
  | { ref: string; phone: string | null; displayName: string | null; method: 'sms' | 'password' | 'wechat_phone' }
  | { ref: null; phone: string; localPrefix: string; method: 'sms' | 'wechat_phone' };

type Event = { type: EventType; data: Record<string, unknown> };
const who = (i: Pick<Identity, 'appid' | 'openid' | 'unionid'>) => ({
  appid: i.appid,
  openid: i.openid,
  unionid: i.unionid,
});
/** An identity as the audit trail names it: its app and a masked openid. */
const named = (i: Pick<Identity, 'appid' | 'openid'>) => ({ appid: i.appid, openid: maskOpenid(i.openid) });

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

/** wxauth's own customer with this phone, made if new: its ref is its number (after `localPrefix`). */
async function ownCustomer(
  trx: Kysely<Database>,
  claim: { phone: string; localPrefix: string },
  t: number,
): Promise<Customer> {
  const find = () => trx.selectFrom('customers').selectAll().where('phone', '=', claim.phone).executeTakeFirst();
  let customer = await find();
  if (customer?.origin === 'host') {
    // The directory no longer knows this phone: the host's customer keeps its id but not the phone.
    await trx.updateTable('customers').set({ phone: null, updated_at: t }).where('id', '=', customer.id).execute();
    customer = undefined;
  }
  if (!customer) {
    // Unique on the phone: of concurrent first bindings one inserts, the others find its row.
    const pending = `pending:${claim.phone}`;
    await trx
      .insertInto('customers')
      .values({ ref: pending, phone: claim.phone, display_name: null, created_at: t, updated_at: t })
      .orIgnore()
      .execute();
    customer = (await find())!;
    if (customer.ref === pending) {
      const ref = `${claim.localPrefix}${customer.id}`;
      await trx.updateTable('customers').set({ ref }).where('id', '=', customer.id).execute();
      customer = { ...customer, ref };
    }
  }
  return customer;
}

/** A directory's customer id that is also the id of a customer made here: never taken as the same one. */
export class CustomerIdCollision extends Error {
  constructor(readonly ref: string) {
    super(`the directory's customer id ${JSON.stringify(ref)} is also a customer made by wxauth itself`);
    this.name = 'CustomerIdCollision';
  }
}

/** The host's customer with this ref, made here on first sight; a proven phone moves to it. */
async function hostCustomer(
  trx: Kysely<Database>,
  claim: { ref: string; phone: string | null; displayName: string | null },
  t: number,
): Promise<Customer> {
  await trx
    .insertInto('customers')
    .values({
      ref: claim.ref,
      phone: null,
      display_name: claim.displayName,
      origin: 'host',
      created_at: t,
      updated_at: t,
    })
    .orIgnore()
    .execute();
  const existing = await trx
    .selectFrom('customers')
    .select('origin')
    .where('ref', '=', claim.ref)
    .executeTakeFirstOrThrow();
  if (existing.origin !== 'host') throw new CustomerIdCollision(claim.ref);
  if (claim.phone !== null)
    await trx
      .updateTable('customers')
      .set({ phone: null, updated_at: t })
      .where('phone', '=', claim.phone)
      .where('ref', '!=', claim.ref)
      .execute();
  const set: Updateable<CustomersTable> = { updated_at: t };
  if (claim.phone !== null) set.phone = claim.phone;
  if (claim.displayName !== null) set.display_name = claim.displayName;
  await trx.updateTable('customers').set(set).where('ref', '=', claim.ref).execute();
  return trx.selectFrom('customers').selectAll().where('ref', '=', claim.ref).executeTakeFirstOrThrow();
}

/**
 * MySQL ends one of two transactions that wait on each other (concurrent first bindings of one customer
 * take shared locks on its row, then both want to write it) and rolls it back whole: it is run again.
 */
async function retryDeadlocks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if ((err as { errno?: number }).errno !== 1213 || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, attempt * 10 * Math.random()));
    }
  }
}

export function createStore(
  db: Kysely<Database>,
  now: () => number = Date.now,
  /** Write events to the outbox (EVENTS_WEBHOOK_URL is set): in the same transaction as each change. */
  options: { events?: boolean } = {},
) {
  const emit = async (trx: Kysely<Database>, t: number, events: Event[]) => {
    if (options.events) await enqueueEvents(trx, t, events);
  };
  const refOf = async (trx: Kysely<Database>, customerId: number) =>
    (await trx.selectFrom('customers').select('ref').where('id', '=', customerId).executeTakeFirst())?.ref;

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

  // The reads of every login and session check, compiled once.
  const identityRow = precompiled(db, (id: number) =>
    db.selectFrom('wechat_identities').selectAll().where('id', '=', id),
  );
  const customerRow = precompiled(db, (id: number) => db.selectFrom('customers').selectAll().where('id', '=', id));
  const identityOf = precompiled(db, (appid: string, openid: string) =>
    db.selectFrom('wechat_identities').selectAll().where('appid', '=', appid).where('openid', '=', openid),
  );
  const identityById = async (id: number): Promise<Identity | undefined> => (await identityRow(id))[0];

  return {
    identityById,
    customerById: async (id: number): Promise<Customer | undefined> => (await customerRow(id))[0],

    /**
     * The identity for (appid, openid), created on first sight. Insert-or-ignore then read, so any
     * number of concurrent first logins of one openid make exactly one row and no error.
     */
    async upsertIdentity(input: IdentityInput): Promise<Identity> {
      const find = async () => (await identityOf(input.appid, input.openid))[0];
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
    async adoptByUnionid(identity: Identity, by: Actor = SYSTEM): Promise<{ identity: Identity; conflict: boolean }> {
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
        const { numUpdatedRows } = await trx
          .updateTable('wechat_identities')
          .set(joined)
          .where('id', '=', identity.id)
          .where('customer_id', 'is', null)
          .executeTakeFirst();
        if (numUpdatedRows > 0n) {
          const customerId = (await refOf(trx, joined.customer_id)) ?? null;
          await emit(trx, t, [{ type: 'wechat.bound', data: { customerId, ...who(identity), method: 'unionid' } }]);
          await writeAudit(trx, t, by, [
            { action: 'bound', customerId, details: { ...named(identity), method: 'unionid' } },
          ]);
        }
        return { identity: { ...identity, ...joined }, conflict: false };
      });
    },

    /**
     * Binds the identity to the customer the directory named (or wxauth's own customer with this
     * phone, made if new), in one transaction with its events. Another identity of the same app bound
     * to that customer is unbound and its sessions revoked: the SMS code or the password proved the
     * account, the same proof the old binding rested on. So are the other apps' identities of the
     * person it displaced (their unionid): an account given to someone new is not left readable from
     * the old holder's PC. Another app's identity not known to be someone else's stays (binding the
     * same account on the PC joins them). A proven phone moves to this customer from any other.
     */
    async bindCustomer(
      identityId: number,
      claim: CustomerClaim,
      by: Actor = SYSTEM,
    ): Promise<{ customer: Customer; replaced: number }> {
      return retryDeadlocks(() =>
        tx().execute(async (trx) => {
          const t = now();
          const identity = await trx
            .selectFrom('wechat_identities')
            .selectAll()
            .where('id', '=', identityId)
            .executeTakeFirstOrThrow();
          const customer = claim.ref === null ? await ownCustomer(trx, claim, t) : await hostCustomer(trx, claim, t);
          const displacedIds = await displaced(trx, customer.id, identity);
          const events: Event[] = [];
          const audit: Parameters<typeof writeAudit>[3] = [];
          if (displacedIds.length) {
            const gone = await trx
              .selectFrom('wechat_identities')
              .select(['appid', 'openid', 'unionid'])
              .where('id', 'in', displacedIds)
              .execute();
            await trx.updateTable('wechat_identities').set(unbound()).where('id', 'in', displacedIds).execute();
            for (const g of gone) {
              events.push({
                type: 'wechat.unbound',
                data: { customerId: customer.ref, ...who(g), reason: 'displaced' },
              });
              audit.push({
                action: 'displaced',
                customerId: customer.ref,
                details: { ...named(g), by: named(identity) },
              });
            }
          }
          await trx
            .updateTable('wechat_identities')
            .set({ customer_id: customer.id, bound_at: t, updated_at: t })
            .where('id', '=', identityId)
            .execute();
          events.push({
            type: 'wechat.bound',
            data: {
              customerId: customer.ref,
              ...who(identity),
              method: claim.method,
              ...(claim.method !== 'password' && { phone: claim.phone }),
            },
          });
          await emit(trx, t, events);
          audit.push({
            action: 'bound',
            customerId: customer.ref,
            details: {
              ...named(identity),
              method: claim.method,
              ...(claim.method === 'sms' && claim.phone !== null && { phone: maskPhone(claim.phone) }),
            },
          });
          await writeAudit(trx, t, by, audit);
          return { customer, replaced: displacedIds.length };
        }),
      );
    },

    /** Nickname, avatar and the sealed tokens after a profile fetch (undefined leaves a field as it is). */
    async updateProfile(
      identityId: number,
      p: { nickname?: string | null; avatarUrl?: string | null; tokensSealed: string | null; refreshedAt?: number },
    ): Promise<void> {
      const t = now();
      const set: Updateable<WechatIdentitiesTable> = { tokens_sealed: p.tokensSealed, updated_at: t };
      if (p.nickname) set.nickname = p.nickname;
      if (p.avatarUrl) set.avatar_url = p.avatarUrl;
      if (p.refreshedAt !== undefined) set.profile_refreshed_at = p.refreshedAt;
      if (!options.events) {
        await db.updateTable('wechat_identities').set(set).where('id', '=', identityId).execute();
        return;
      }
      await tx().execute(async (trx) => {
        const before = await trx
          .selectFrom('wechat_identities')
          .selectAll()
          .where('id', '=', identityId)
          .executeTakeFirst();
        if (!before) return;
        await trx.updateTable('wechat_identities').set(set).where('id', '=', identityId).execute();
        const nickname = set.nickname ?? before.nickname;
        const avatar = set.avatar_url ?? before.avatar_url;
        if (nickname === before.nickname && avatar === before.avatar_url) return;
        const customerId = before.customer_id === null ? null : await refOf(trx, before.customer_id);
        await emit(trx, t, [{ type: 'profile.updated', data: { customerId, ...who(before), nickname, avatar } }]);
      });
    },

    /**
     * A user unfollowed the Official Account (WeChat's `unsubscribe`): the host hears of it, with the
     * customer when the user is bound; nothing else changes (the binding and sessions stay).
     */
    async recordUnsubscribed(appid: string, openid: string): Promise<void> {
      if (!options.events) return;
      await tx().execute(async (trx) => {
        const identity = await trx
          .selectFrom('wechat_identities')
          .selectAll()
          .where('appid', '=', appid)
          .where('openid', '=', openid)
          .executeTakeFirst();
        const customerId = identity?.customer_id == null ? null : await refOf(trx, identity.customer_id);
        const data = identity ? who(identity) : { appid, openid, unionid: null };
        await emit(trx, now(), [{ type: 'wechat.unsubscribed', data: { customerId, ...data } }]);
      });
    },

    /** Unbinds one identity (the user asked) and voids its sessions. */
    async unbind(identityId: number, by: Actor = SYSTEM): Promise<void> {
      await tx().execute(async (trx) => {
        const identity = await trx
          .selectFrom('wechat_identities')
          .selectAll()
          .where('id', '=', identityId)
          .executeTakeFirst();
        if (!identity || identity.customer_id === null) return;
        const t = now();
        await trx.updateTable('wechat_identities').set(unbound()).where('id', '=', identityId).execute();
        const customerId = await refOf(trx, identity.customer_id);
        await emit(trx, t, [{ type: 'wechat.unbound', data: { customerId, ...who(identity), reason: 'user' } }]);
        await writeAudit(trx, t, by, [
          { action: 'unbound', customerId: customerId ?? null, details: { ...named(identity), reason: 'user' } },
        ]);
      });
    },

    /**
     * An admin unbinds a customer's WeChat identities (of one app, or all): each as a user's unbind is,
     * its sessions void and a `wechat.unbound` event (reason `admin`). Null when there is no such customer.
     */
    async unbindCustomer(ref: string, p: { appid?: string; reason: string }, by: Actor): Promise<Identity[] | null> {
      return tx().execute(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('ref', '=', ref).executeTakeFirst();
        if (!customer) return null;
        let query = trx.selectFrom('wechat_identities').selectAll().where('customer_id', '=', customer.id);
        if (p.appid !== undefined) query = query.where('appid', '=', p.appid);
        const bound = await query.execute();
        if (!bound.length) return [];
        const t = now();
        await trx
          .updateTable('wechat_identities')
          .set(unbound())
          .where(
            'id',
            'in',
            bound.map((i) => i.id),
          )
          .execute();
        await emit(
          trx,
          t,
          bound.map((i) => ({ type: 'wechat.unbound', data: { customerId: ref, ...who(i), reason: 'admin' } })),
        );
        await writeAudit(trx, t, by, [
          { action: 'admin.unbind', customerId: ref, details: { reason: p.reason, identities: bound.map(named) } },
        ]);
        return bound;
      });
    },

    /**
     * Ends every session of a customer's identities and keeps the bindings: the next login is silent
     * again. Null when there is no such customer.
     */
    async revokeSessions(ref: string, reason: string, by: Actor): Promise<Identity[] | null> {
      return tx().execute(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('ref', '=', ref).executeTakeFirst();
        if (!customer) return null;
        const bound = await trx
          .selectFrom('wechat_identities')
          .selectAll()
          .where('customer_id', '=', customer.id)
          .execute();
        const t = now();
        await trx
          .updateTable('wechat_identities')
          .set({ revoked_at: t, updated_at: t })
          .where('customer_id', '=', customer.id)
          .execute();
        await writeAudit(trx, t, by, [
          { action: 'admin.revoke-sessions', customerId: ref, details: { reason, identities: bound.map(named) } },
        ]);
        return bound;
      });
    },

    /** An audit row of its own, for what changes nothing in the database (a lockout, a revealed phone). */
    async audit(
      entry: {
        action: 'password.lockout' | 'admin.reveal';
        customerId: string | null;
        details: Record<string, unknown>;
      },
      by: Actor,
    ): Promise<void> {
      await writeAudit(db, now(), by, [entry]);
    },

    /**
     * Drops every WeChat binding of a customer (by its ref) and voids their sessions: the host asked,
     * after a password change say. False when there is no such customer.
     */
    async revokeCustomer(ref: string, reason: string = 'revoked', by: Actor = SYSTEM): Promise<boolean> {
      return tx().execute(async (trx) => {
        const customer = await trx.selectFrom('customers').select('id').where('ref', '=', ref).executeTakeFirst();
        if (!customer) return false;
        const bound = await trx
          .selectFrom('wechat_identities')
          .select(['appid', 'openid', 'unionid'])
          .where('customer_id', '=', customer.id)
          .execute();
        const t = now();
        await trx.updateTable('wechat_identities').set(unbound()).where('customer_id', '=', customer.id).execute();
        await emit(trx, t, [{ type: 'wechat.revoked', data: { customerId: ref, identities: bound.map(who), reason } }]);
        await writeAudit(trx, t, by, [
          { action: 'revoked', customerId: ref, details: { reason, identities: bound.map(named) } },
        ]);
        return true;
      });
    },

    /**
     * The identities a binding (to the customer with this ref, or wxauth's own with this phone) or a
     * revoke (of this ref) is about to unbind.
     */
    async boundIdentities(
      p: { ref: string } | { ref: string | null; phone: string | null; movingTo: Identity },
    ): Promise<number[]> {
      let query = db.selectFrom('customers').select('id');
      if (p.ref !== null) query = query.where('ref', '=', p.ref);
      else if ('phone' in p && p.phone !== null) query = query.where('phone', '=', p.phone);
      else return [];
      const customerId = (await query.executeTakeFirst())?.id;
      if (customerId === undefined) return [];
      if ('movingTo' in p) return displaced(db, customerId, p.movingTo);
      const bound = await db
        .selectFrom('wechat_identities')
        .select('id')
        .where('customer_id', '=', customerId)
        .execute();
      return bound.map((r) => r.id);
    },

    /** The identities bound to customers other than `exceptRef` that hold this phone: they are about to lose it. */
    async phoneHolders(phone: string, exceptRef: string): Promise<number[]> {
      const rows = await db
        .selectFrom('wechat_identities')
        .innerJoin('customers', 'customers.id', 'wechat_identities.customer_id')
        .select('wechat_identities.id')
        .where('customers.phone', '=', phone)
        .where('customers.ref', '!=', exceptRef)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Customers made here whose ids a host directory could also use (numbers): none may exist in webhook mode. */
    async localCustomersWithBareIds(): Promise<number> {
      const row = await db
        .selectFrom('customers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('origin', '=', 'local')
        .where('ref', 'not like', 'wxauth-%')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The OpenID Connect provider's long-lived artifacts (grants, refresh tokens): see features/oidc. */
    oidcArtifacts: {
      async save(model: string, id: string, payload: object, grantId: string | null, expiresAt: number) {
        await tx().execute(async (trx) => {
          await trx.deleteFrom('oidc_artifacts').where('model', '=', model).where('id', '=', id).execute();
          await trx
            .insertInto('oidc_artifacts')
            .values({ model, id, grant_id: grantId, payload: JSON.stringify(payload), expires_at: expiresAt })
            .execute();
        });
      },
      async find(
        model: string,
        id: string,
      ): Promise<{ payload: Record<string, unknown>; expiresAt: number } | undefined> {
        const row = await db
          .selectFrom('oidc_artifacts')
          .select(['payload', 'expires_at'])
          .where('model', '=', model)
          .where('id', '=', id)
          .where('expires_at', '>', now())
          .executeTakeFirst();
        return (
          row && { payload: JSON.parse(row.payload) as Record<string, unknown>, expiresAt: Number(row.expires_at) }
        );
      },
      async destroy(model: string, id: string) {
        await db.deleteFrom('oidc_artifacts').where('model', '=', model).where('id', '=', id).execute();
      },
      /** Every artifact of a grant, and the grant itself. */
      async revokeGrant(grantId: string) {
        await db
          .deleteFrom('oidc_artifacts')
          .where((eb) =>
            eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)])]),
          )
          .execute();
      },
      async purgeExpired() {
        await db.deleteFrom('oidc_artifacts').where('expires_at', '<=', now()).execute();
      },
    },

    /**
     * A customer (by the id the world knows) with its bound WeChat identities, newest binding first:
     * what an OpenID Connect client may be told about them. Undefined when none is bound any more.
     */
    async boundCustomer(ref: string): Promise<{ customer: Customer; identities: Identity[] } | undefined> {
      const customer = await db.selectFrom('customers').selectAll().where('ref', '=', ref).executeTakeFirst();
      if (!customer) return undefined;
      const identities = await db
        .selectFrom('wechat_identities')
        .selectAll()
        .where('customer_id', '=', customer.id)
        .orderBy('bound_at', 'desc')
        .execute();
      return identities.length ? { customer, identities } : undefined;
    },

    async ping(): Promise<void> {
      await db.selectFrom('customers').select('id').limit(1).execute();
    },

    close: () => db.destroy(),
  };
}
