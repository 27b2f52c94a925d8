import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../scripts/host-stand-in.mjs';
import { readAudit } from '../adapters/store/audit.js';
import { INTERNAL_TOKEN, simForm, startBff, type Bff, type Browser } from './harness.js';

/** Every binding change leaves one audit row, in the same transaction: who, when, from where, no secret. */

const PHONE = '13800138000';
const audit = (bff: Bff) => readAudit(bff.db);

/** Nothing in the trail may hold a full phone number, a code or a token. */
async function clean(bff: Bff) {
  const text = JSON.stringify(await bff.db.selectFrom('audit_log').selectAll().execute());
  expect(text).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
  for (const secret of bff.secrets) if (secret.length >= 6) expect(text).not.toContain(secret);
}

const hosts: HostStandIn[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

async function pcLogin(bff: Bff, browser: Browser, user: string) {
  const start = await browser.request('/api/auth/wechat/authorize?platform=website&returnTo=%2F');
  const qr = new URL(start.headers.get('location')!.replace(/#wechat_redirect$/, ''));
  qr.searchParams.set('wxsim_user', user);
  const form = simForm(await (await fetch(qr)).text());
  const confirm = await fetch(`${bff.simOrigin}/connect/qrconnect/confirm`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const back = new URL(confirm.headers.get('location')!);
  return browser.post('/api/auth/wechat/login', {
    code: back.searchParams.get('code'),
    state: back.searchParams.get('state'),
  });
}

describe('the audit trail', () => {
  it('a binding by SMS: one row, by the user, with the address and the request id, the phone masked', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    expect((await browser.login({ user: 'amy' })).status).toBe(200);
    expect((await browser.post('/api/sms/send', { phone: PHONE })).status).toBe(200);
    const bind = await browser.post('/api/account/bind', { phone: PHONE, smsCode: bff.inbox.get(PHONE) });
    expect(bind.status).toBe(200);
    const rows = await audit(bff);
    expect(rows).toEqual([
      {
        id: expect.any(Number),
        at: bff.now(),
        action: 'bound',
        customerId: '1',
        actor: { kind: 'user', name: null },
        ip: '127.0.0.1',
        requestId: bind.headers.get('x-request-id'),
        details: { appid: expect.any(String), openid: expect.stringMatching(/…/), method: 'sms', phone: '138****8000' },
      },
    ]);
    await clean(bff);
  });

  it('another WeChat user binding the same phone: one row for the binding, one for the identity it displaced', async () => {
    const bff = await startBff();
    await bff.browser().loginAndBind('amy', PHONE, bff.inbox);
    bff.advance(2 * 60_000);
    await bff.browser().loginAndBind('bob', PHONE, bff.inbox);
    const rows = await audit(bff);
    expect(rows.map((r) => [r.action, r.customerId])).toEqual([
      ['bound', '1'],
      ['displaced', '1'],
      ['bound', '1'],
    ]);
    expect(rows[1]!.details).toMatchObject({ by: { openid: rows[0]!.details.openid } });
    expect(rows[1]!.details.openid).not.toBe(rows[0]!.details.openid);
    await clean(bff);
  });

  it('the user unbinds: one row', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.loginAndBind('amy', PHONE, bff.inbox);
    expect((await browser.post('/api/account/unbind')).status).toBe(204);
    const [row] = await audit(bff);
    expect(row).toMatchObject({ action: 'unbound', customerId: '1', actor: { kind: 'user' }, ip: '127.0.0.1' });
    expect(row!.details).toMatchObject({ reason: 'user' });
    expect(await audit(bff)).toHaveLength(2);
  });

  it('the host revokes: one row, by the host', async () => {
    const bff = await startBff();
    await bff.browser().loginAndBind('amy', PHONE, bff.inbox);
    const res = await fetch(`${bff.origin}/internal/customers/1/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    expect(res.status).toBe(204);
    const [row] = await audit(bff);
    expect(row).toMatchObject({
      action: 'revoked',
      customerId: '1',
      actor: { kind: 'host', name: 'internal API' },
      requestId: res.headers.get('x-request-id'),
      details: { reason: 'revoked', identities: [{ openid: expect.stringMatching(/…/) }] },
    });
    expect(await audit(bff)).toHaveLength(2);
  });

  it('the same person on PC joins by unionid: one row, method unionid', async () => {
    const bff = await startBff();
    const mobile = bff.browser();
    await mobile.login({ user: 'erin', scope: 'snsapi_userinfo' });
    await mobile.bind(PHONE, bff.inbox);
    expect(await (await pcLogin(bff, bff.browser(), 'erin')).json()).toMatchObject({ next: 'home' });
    const [row] = await audit(bff);
    expect(row).toMatchObject({
      action: 'bound',
      customerId: '1',
      actor: { kind: 'user' },
      details: { method: 'unionid' },
    });
    expect(await audit(bff)).toHaveLength(2);
  });

  it('a password lockout: a row per budget locked, naming the budget and never the account', async () => {
    const secret = 'host-signing-secret-0123456789abcdef-test';
    const host = await startHostStandIn({
      secret,
      customers: [{ customerId: 'C-1', phone: PHONE, account: 'zhangsan', password: 'Right-Pass-1' }],
    });
    hosts.push(host);
    const bff = await startBff({
      env: {
        CUSTOMER_DIRECTORY: 'webhook',
        DIRECTORY_URL: host.directoryUrl,
        HOST_SIGNING_SECRET: secret,
        BIND_METHODS: 'sms,password',
      },
    });
    const browser = bff.browser();
    await browser.login({ user: 'mallory' });
    for (let i = 0; i < 5; i++)
      expect(
        (await browser.post('/api/account/bind-password', { account: 'zhangsan', password: `g${i}` })).status,
      ).toBe(401);
    const rows = await audit(bff);
    expect(rows.map((r) => [r.action, r.details.budget]).sort()).toEqual([
      ['password.lockout', 'account'],
      ['password.lockout', 'ip'],
      ['password.lockout', 'wechat'],
    ]);
    expect(rows[0]).toMatchObject({ customerId: null, actor: { kind: 'user' }, ip: '127.0.0.1' });
    expect(JSON.stringify(rows)).not.toContain('zhangsan');
  });

  it('a change that fails leaves no row, and a row that cannot be written undoes the change', async () => {
    const bff = await startBff({ env: {} });
    const browser = bff.browser();
    await browser.login({ user: 'amy' });
    expect((await browser.post('/api/sms/send', { phone: PHONE })).status).toBe(200);
    // The database refuses the binding's last write: nothing of it stays, its audit row neither.
    await sql`create trigger no_binding before update on wechat_identities when new.customer_id is not null
      begin select raise(abort, 'refused'); end`.execute(bff.db);
    const bind = () => browser.post('/api/account/bind', { phone: PHONE, smsCode: bff.inbox.get(PHONE) });
    expect((await bind()).status).toBe(500);
    expect(await audit(bff)).toEqual([]);
    // Now the audit row itself cannot be written: the binding is undone with it.
    await sql`drop trigger no_binding`.execute(bff.db);
    await sql`create trigger no_audit before insert on audit_log begin select raise(abort, 'refused'); end`.execute(
      bff.db,
    );
    expect((await bind()).status).toBe(500);
    const identities = await bff.db.selectFrom('wechat_identities').select('customer_id').execute();
    expect(identities).toEqual([{ customer_id: null }]);
    await sql`drop trigger no_audit`.execute(bff.db);
    expect((await bind()).status).toBe(200);
    expect(await audit(bff)).toHaveLength(1);
  });
});
