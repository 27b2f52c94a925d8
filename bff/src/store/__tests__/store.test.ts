import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMysqlDatabase } from '../../__tests__/harness.js';
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

  let n = 0;
  const openid = () => `oTest${String(++n).padStart(6, '0')}${'x'.repeat(17)}`;
  const phone = () => `139${String(10_000_000 + ++n).slice(-8)}`;

  it('migrates once: running the migrations again changes nothing', async () => {
    const db = openDatabase(url);
    await migrate(db);
    await migrate(db);
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['customers', 'wechat_identities']);
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
    const { customer, replaced } = await store.bindPhone(identity.id, p);
    expect(customer.phone).toBe(p);
    expect(replaced).toBe(0);
    expect(await store.identityById(identity.id)).toMatchObject({ customer_id: customer.id, bound_at: clock });
  });

  it('moves a phone to a new identity of the same app, unbinding and revoking the old one', async () => {
    const p = phone();
    const old = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const other = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const fresh = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const { customer } = await store.bindPhone(old.id, p);
    await store.bindPhone(other.id, p);
    clock += 1000;
    const result = await store.bindPhone(fresh.id, p);
    expect(result).toMatchObject({ customer: { id: customer.id }, replaced: 1 });
    expect(await store.identityById(old.id)).toMatchObject({ customer_id: null, revoked_at: clock });
    // The other app's identity is the same person's: it stays.
    expect(await store.identityById(other.id)).toMatchObject({ customer_id: customer.id });
  });

  it('makes one customer when two identities bind the same new phone at once', async () => {
    const p = phone();
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const [ra, rb] = await Promise.all([store.bindPhone(a.id, p), store.bindPhone(b.id, p)]);
    expect(ra.customer.id).toBe(rb.customer.id);
  });

  it('rolls a binding back whole when it fails part-way', async () => {
    const p = phone();
    await expect(store.bindPhone(999_999_999, p)).rejects.toThrow();
    const identity = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    // No customer was left behind by the failed attempt: this binding creates it.
    const { customer } = await store.bindPhone(identity.id, p);
    expect(customer.created_at).toBe(clock);
  });

  it('adopts an unbound identity into the customer its unionid is bound to', async () => {
    const unionid = `u${openid()}`;
    const mobile = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const { customer } = await store.bindPhone(mobile.id, phone());
    const pc = await store.upsertIdentity({ appid: 'wxweb', openid: openid(), unionid });
    const adopted = await store.adoptByUnionid(pc);
    expect(adopted).toMatchObject({ conflict: false, identity: { customer_id: customer.id } });
    expect((await store.identityById(pc.id))!.customer_id).toBe(customer.id);
  });

  it('adopts nothing when the unionid is bound to two customers', async () => {
    const unionid = `u${openid()}`;
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid(), unionid });
    await store.bindPhone(a.id, phone());
    await store.bindPhone(b.id, phone());
    const c = await store.upsertIdentity({ appid: 'wxc', openid: openid(), unionid });
    expect(await store.adoptByUnionid(c)).toMatchObject({ conflict: true, identity: { customer_id: null } });
  });

  it('does not readopt a revoked identity until the phone is proven again', async () => {
    const unionid = `u${openid()}`;
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid(), unionid });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid(), unionid });
    const p = phone();
    await store.bindPhone(a.id, p);
    await store.adoptByUnionid(b);
    clock += 1000;
    await store.unbind(b.id);
    const revoked = (await store.identityById(b.id))!;
    expect(await store.adoptByUnionid(revoked)).toMatchObject({ identity: { customer_id: null } });
    clock += 1000;
    await store.bindPhone(a.id, p);
    expect(await store.adoptByUnionid(revoked)).toMatchObject({ identity: { customer_id: expect.any(Number) } });
  });

  it('revokes every binding of a customer, and says when there is no such customer', async () => {
    const a = await store.upsertIdentity({ appid: 'wxa', openid: openid() });
    const b = await store.upsertIdentity({ appid: 'wxb', openid: openid() });
    const p = phone();
    const { customer } = await store.bindPhone(a.id, p);
    await store.bindPhone(b.id, p);
    clock += 1000;
    expect(await store.revokeCustomer(customer.id)).toBe(true);
    for (const id of [a.id, b.id])
      expect(await store.identityById(id)).toMatchObject({ customer_id: null, revoked_at: clock });
    expect(await store.revokeCustomer(999_999_999)).toBe(false);
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
