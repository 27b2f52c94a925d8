import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMysqlDatabase } from '../../../__tests__/harness.js';
import { migrate, openDatabase } from '../db.js';
import { createStore, type Store } from '../store.js';

const engines: [string, () => Promise<string>][] = [
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-store-')), 'wxauth.db')}`],
  ['MariaDB', newMysqlDatabase],
];

describe.each(engines)('the store on %s', (_engine, databaseUrl) => {
  let url: string;
  let store: Store;
  let clock = 1_700_000_000_000;
  const now = () => clock;

  beforeAll(async () => {
    url = await databaseUrl();
    const db = openDatabase(url);
    await migrate(db);
    store = createStore(db, now);
  });
  afterAll(() => store.close());

  /** wxauth's own customer by phone (the built-in directory). */
  const bindPhone = (identityId: number, p: string) =>
    store.bindCustomer(identityId, { ref: null, phone: p, localPrefix: '', method: 'sms' });

  let n = 0;
  const openid = () => `oTest${String(++n).padStart(6, '0')}${'x'.repeat(17)}`;
  const phone = () => `139${String(10_000_000 + ++n).slice(-8)}`;

  it('migrates once: running the migrations again changes nothing', async () => {
    const db = openDatabase(url);
    await migrate(db);
    await migrate(db);
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual([
      'audit_log',
      'customers',
      'events_outbox',
      'oidc_artifacts',
      'wechat_identities',
    ]);
    await db.destroy();
  });

  it('creates an identity on first sight and returns the same row after', async () => {
    const id = openid();
    const first = await store.upsertIdentity({ appid: 'wxa', openid: id });
    const again = await store.upsertIdentity({ appid: 'wxa', openid: id });
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ appid: 'wxa', openid: id, customer_id: null, unionid: null });
    expect(typeof first.created_at).toBe('number');
    expect(first.created_at).toBe(clock);
  });

  it('makes exactly one row for 50 concurrent first sights of one openid', async () => {
    const id = openid();
    const rows = await Promise.all(
      Array.from({ length: 50 }, () => store.upsertIdentity({ appid: 'wxa', openid: id })),
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(1);
  });

  it('keeps openids that differ only in case apart (they are different users)', async () => {
    const lower = await store.upsertIdentity({ appid: 'wxa', openid: 'oabcdefghijklmnopqrstuvwxyz0' });
    const upper = await store.upsertIdentity({ appid: 'wxa', openid: 'oABCDEFGHIJKLMNOPQRSTUVWXYZ0' });
    expect(upper.id).not.toBe(lower.id);
  });

  it('keeps the same openid under two appids apart', async () => {
    const id = openid();
    const a = await store.upsertIdentity({ appid: 'wxa', openid: id });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: id });
    expect(a.id).not.toBe(b.id);
  });

  it('stores a nickname with emoji and CJK as it came', async () => {
    const nickname = '微信用户🐼😀';
    const row = await store.upsertIdentity({ appid: 'wxa', openid: openid(), nickname });
    expect((await store.identityById(row.id))!.nickname).toBe(nickname);
  });

  it('records what WeChat says anew (unionid, nickname, avatar), and writes nothing otherwise', async () => {
    const id = openid();
    const first = await store.upsertIdentity({ appid: 'wxa', openid: id });
    clock += 1000;
    const same = await store.upsertIdentity({ appid: 'wxa', openid: id });
    expect(same.updated_at).toBe(first.updated_at);
    const updated = await store.upsertIdentity({ appid: 'wxa', openid: id, unionid: 'uX', avatarUrl: 'https://a/b' });
    expect(updated).toMatchObject({ unionid: 'uX', avatar_url: 'https://a/b', updated_at: clock });
    expect(await store.identityById(first.id)).toMatchObject({ unionid: 'uX', avatar_url: 'https://a/b' });
  });

  it('binds a phone, creating its customer, in one step', async () => {
    const identity = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const p = phone();
    const { customer, replaced } = await bindPhone(identity.id, p);
    expect(customer.phone).toBe(p);
    expect(replaced).toBe(0);
    expect(await store.identityById(identity.id)).toMatchObject({ customer_id: customer.id, bound_at: clock });
  });

  it('moves a phone to a new identity of the same app, unbinding and revoking the old one', async () => {
    const p = phone();
    const old = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const other = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const fresh = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const { customer } = await bindPhone(old.id, p);
    await bindPhone(other.id, p);
    clock += 1000;
    const result = await bindPhone(fresh.id, p);
    expect(result).toMatchObject({ customer: { id: customer.id }, replaced: 1 });
    expect(await store.identityById(old.id)).toMatchObject({ customer_id: null, revoked_at: clock });
    // The other app's identity is the same person's: it stays.
    expect(await store.identityById(other.id)).toMatchObject({ customer_id: customer.id });
  });

  it('makes one customer when two identities bind the same new phone at once', async () => {
    const p = phone();
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const [ra, rb] = await Promise.all([bindPhone(a.id, p), bindPhone(b.id, p)]);
    expect(ra.customer.id).toBe(rb.customer.id);
  });

  it('rolls a binding back whole when it fails part-way', async () => {
    const p = phone();
    await expect(bindPhone(999_999_999, p)).rejects.toThrow();
    const identity = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    // No customer was left behind by the failed attempt: this binding creates it.
    const { customer } = await bindPhone(identity.id, p);
    expect(customer.created_at).toBe(clock);
  });

  it('adopts an unbound identity into the customer its unionid is bound to', async () => {
    const unionid = `u${openid()}`;
    const mobile = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const { customer } = await bindPhone(mobile.id, phone());
    const pc = await store.upsertIdentity({ appid: 'wxweb', openid: openid(), unionid });
    const adopted = await store.adoptByUnionid(pc);
    expect(adopted).toMatchObject({ conflict: false, identity: { customer_id: customer.id } });
    expect((await store.identityById(pc.id))!.customer_id).toBe(customer.id);
  });

  it('adopts nothing when the unionid is bound to two customers', async () => {
    const unionid = `u${openid()}`;
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid(), unionid });
    await bindPhone(a.id, phone());
    await bindPhone(b.id, phone());
    const c = await store.upsertIdentity({ appid: 'wxc', openid: openid(), unionid });
    expect(await store.adoptByUnionid(c)).toMatchObject({ conflict: true, identity: { customer_id: null } });
  });

  it('does not readopt a revoked identity until the phone is proven again', async () => {
    const unionid = `u${openid()}`;
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid(), unionid });
    const p = phone();
    await bindPhone(a.id, p);
    await store.adoptByUnionid(b);
    clock += 1000;
    await store.unbind(b.id);
    const revoked = (await store.identityById(b.id))!;
    expect(await store.adoptByUnionid(revoked)).toMatchObject({ identity: { customer_id: null } });
    clock += 1000;
    await bindPhone(a.id, p);
    expect(await store.adoptByUnionid(revoked)).toMatchObject({ identity: { customer_id: expect.any(Number) } });
  });

  it('revokes every binding of a customer, and says when there is no such customer', async () => {
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const p = phone();
    const { customer } = await bindPhone(a.id, p);
    await bindPhone(b.id, p);
    clock += 1000;
    expect(await store.revokeCustomer(customer.ref)).toBe(true);
    for (const id of [a.id, b.id])
      expect(await store.identityById(id)).toMatchObject({ customer_id: null, revoked_at: clock });
    expect(await store.revokeCustomer('999999999')).toBe(false);
  });

  it('keeps sealed tokens and profile times, and drops the tokens on request', async () => {
    const row = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    await store.updateProfile(row.id, { nickname: '新名字', tokensSealed: 'sealed'.repeat(100), refreshedAt: clock });
    expect(await store.identityById(row.id)).toMatchObject({
      nickname: '新名字',
      tokens_sealed: 'sealed'.repeat(100),
      profile_refreshed_at: clock,
    });
    await store.updateProfile(row.id, { tokensSealed: null });
    expect(await store.identityById(row.id)).toMatchObject({ nickname: '新名字', tokens_sealed: null });
  });

  it("migrating to the host's accounts keeps every customer id (as text) and every binding", async () => {
    const oldUrl = await databaseUrl();
    const db = openDatabase(oldUrl);
    await migrate(db, '002_profile_tokens');
    const t = 1_700_000_000_000;
    const raw = db as unknown as Kysely<{
      customers: { id?: number; phone: string; created_at: number; updated_at: number };
      wechat_identities: Record<string, unknown>;
    }>;
    await raw.insertInto('customers').values({ id: 7, phone: '13800138007', created_at: t, updated_at: t }).execute();
    await raw.insertInto('customers').values({ id: 42, phone: '13800138042', created_at: t, updated_at: t }).execute();
    await raw
      .insertInto('wechat_identities')
      .values({ appid: 'wxa', openid: 'oOld', customer_id: 42, created_at: t, updated_at: t, bound_at: t })
      .execute();
    await migrate(db);
    const migrated = createStore(db, now);
    expect(await migrated.customerById(7)).toMatchObject({ ref: '7', phone: '13800138007', display_name: null });
    expect(await migrated.customerById(42)).toMatchObject({ ref: '42', phone: '13800138042' });
    const old = await migrated.upsertIdentity({ appid: 'wxa', openid: 'oOld' });
    expect(old.customer_id).toBe(42);
    // New customers keep counting after the old ids, and their ref is their number.
    const fresh = await migrated.upsertIdentity({ appid: 'wxa', openid: 'oNew' });
    const { customer } = await migrated.bindCustomer(fresh.id, {
      ref: null,
      phone: '13800138099',
      localPrefix: '',
      method: 'sms',
    });
    expect(customer.id).toBeGreaterThan(42);
    expect(customer.ref).toBe(String(customer.id));
    await migrated.close();
  });

  it("binds to the host's customer by its id, and a proven phone moves to the customer the host names", async () => {
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const b = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const p = phone();
    const hostA = `H-${++n}`;
    const hostB = `H-${++n}`;
    const first = await store.bindCustomer(a.id, { ref: hostA, phone: p, displayName: '张三', method: 'sms' });
    expect(first.customer).toMatchObject({ ref: hostA, phone: p, display_name: '张三' });
    // The host now says the phone is B's (the number changed hands there): it moves.
    const second = await store.bindCustomer(b.id, { ref: hostB, phone: p, displayName: null, method: 'sms' });
    expect(second.customer).toMatchObject({ ref: hostB, phone: p });
    expect(await store.customerById(first.customer.id)).toMatchObject({
      ref: hostA,
      phone: null,
      display_name: '张三',
    });
    // A password binding to A proves no phone and keeps none.
    const c = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const third = await store.bindCustomer(c.id, {
      ref: hostA,
      phone: null,
      displayName: '张三丰',
      method: 'password',
    });
    expect(third.customer).toMatchObject({ id: first.customer.id, phone: null, display_name: '张三丰' });
  });

  it('makes one customer when two identities bind to the same host customer at once', async () => {
    const ref = `H-${++n}`;
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.upsertIdentity({ appid: `wx${i}`, openid: openid() })),
    );
    const p = phone();
    const results = await Promise.all(
      ids.map((i) => store.bindCustomer(i.id, { ref, phone: p, displayName: null, method: 'sms' })),
    );
    expect(new Set(results.map((r) => r.customer.id)).size).toBe(1);
  });

  it('writes the events of a change in its transaction, and none for a change that failed', async () => {
    const db = openDatabase(url);
    const events = createStore(db, now, { events: true });
    const outbox = async () =>
      (await db.selectFrom('events_outbox').select(['type', 'payload']).orderBy('seq').execute()).map(
        (r) => JSON.parse(r.payload) as { id: string; type: string; data: Record<string, unknown> },
      );
    const before = (await outbox()).length;
    const a = await events.upsertIdentity({ appid: 'wxa', openid: openid(), unionid: `u${++n}` });
    const b = await events.upsertIdentity({ appid: 'wxa', openid: openid() });
    const ref = `H-${++n}`;
    const p = phone();
    const step = async <T>(change: Promise<T>) => {
      const done = await change;
      clock += 1000;
      return done;
    };
    await step(events.bindCustomer(a.id, { ref, phone: p, displayName: null, method: 'sms' }));
    await step(events.bindCustomer(b.id, { ref, phone: null, displayName: null, method: 'password' }));
    await expect(
      events.bindCustomer(999_999_999, { ref, phone: null, displayName: null, method: 'password' }),
    ).rejects.toThrow();
    await step(events.updateProfile(b.id, { nickname: '新名字', tokensSealed: null }));
    await step(events.updateProfile(b.id, { nickname: '新名字', tokensSealed: null }));
    await step(events.unbind(b.id));
    await step(events.bindCustomer(b.id, { ref, phone: null, displayName: null, method: 'password' }));
    expect(await step(events.revokeCustomer(ref, 'password_changed'))).toBe(true);
    const written = (await outbox()).slice(before);
    expect(written.map((e) => e.type)).toEqual([
      'wechat.bound',
      'wechat.unbound',
      'wechat.bound',
      'profile.updated',
      'wechat.unbound',
      'wechat.bound',
      'wechat.revoked',
    ]);
    expect(written[0]).toMatchObject({
      id: expect.stringMatching(/^evt_[0-9a-f]{24}$/),
      data: { customerId: ref, appid: 'wxa', openid: a.openid, unionid: a.unionid, method: 'sms', phone: p },
    });
    expect(written[1]!.data).toMatchObject({ customerId: ref, openid: a.openid, reason: 'displaced' });
    expect(written[2]!.data).not.toHaveProperty('phone');
    expect(written[3]!.data).toMatchObject({ customerId: ref, openid: b.openid, nickname: '新名字' });
    expect(written[4]!.data).toMatchObject({ reason: 'user' });
    expect(written[6]!.data).toMatchObject({
      customerId: ref,
      reason: 'password_changed',
      identities: [{ appid: 'wxa', openid: b.openid, unionid: null }],
    });
    expect(new Set(written.map((e) => e.id)).size).toBe(written.length);
    await events.close();
  });
  it('answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('DATABASE_URL for MySQL', () => {
  it('takes a percent-encoded password with the characters URLs reserve', async () => {
    const url = new URL(await newMysqlDatabase());
    const admin = await createConnection(url.href);
    const password = 'p@ss:w/rd#%?';
    await admin.query("CREATE USER 'odd'@'127.0.0.1' IDENTIFIED BY ?", [password]);
    await admin.query(`GRANT ALL ON \`${url.pathname.slice(1)}\`.* TO 'odd'@'127.0.0.1'`);
    await admin.end();
    const db = openDatabase(`mysql://odd:${encodeURIComponent(password)}@${url.host}${url.pathname}`);
    await migrate(db);
    await expect(createStore(db).ping()).resolves.toBeUndefined();
    await db.destroy();
  });
});
