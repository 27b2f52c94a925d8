import { afterEach, describe, expect, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../../../scripts/host-stand-in.mjs';
import { sign } from '../../../adapters/host/signature.js';
import { startBff, type Bff, type Browser } from '../../../__tests__/harness.js';

/** The host system's customers: its directory by phone, its passwords, and its events to us. */

const SECRET = 'host-signing-secret-0123456789abcdef-test';
const MINUTE = 60_000;
const body = async (res: Response) => (await res.json()) as { error: { code: string; [k: string]: unknown } };

const hosts: HostStandIn[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

async function withHost(env: Record<string, string> = {}) {
  const host = await startHostStandIn({
    secret: SECRET,
    customers: [
      {
        customerId: 'C-1001',
        phone: '13800138000',
        account: 'zhangsan',
        password: 'Right-Pass-1',
        displayName: '张三',
      },
      { customerId: 'C-1002', phone: '13900139000', account: 'lisi@example.com', password: 'pw-lisi-2' },
    ],
  });
  hosts.push(host);
  const bff = await startBff({
    env: {
      CUSTOMER_DIRECTORY: 'webhook',
      DIRECTORY_URL: host.directoryUrl,
      HOST_SIGNING_SECRET: SECRET,
      BIND_METHODS: 'sms,password',
      DIRECTORY_TIMEOUT_MS: '500',
      ...env,
    },
  });
  // Passwords are secrets too: none may reach the log.
  for (const c of host.customers) if (c.password) bff.secrets.add(c.password);
  return { host, bff };
}

async function loggedIn(bff: Bff, user = 'alice'): Promise<Browser> {
  const browser = bff.browser();
  expect((await browser.login({ user })).status).toBe(200);
  return browser;
}

async function smsCode(bff: Bff, browser: Browser, phone: string) {
  expect((await browser.post('/api/sms/send', { phone })).status).toBe(200);
  return bff.inbox.get(phone)!;
}

describe('CUSTOMER_DIRECTORY=webhook: binding by phone asks the host whose it is', () => {
  it("binds to the host's customer id, with its name, through signed requests", async () => {
    const { host, bff } = await withHost();
    const browser = await loggedIn(bff);
    const code = await smsCode(bff, browser, '13800138000');
    const res = await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code });
    expect(res.status).toBe(200);
    const session = (await (await browser.request('/api/session')).json()) as { user: Record<string, unknown> };
    expect(session.user).toMatchObject({ phone: '138****8000', displayName: '张三' });
    const who = await browser.request('/internal/forward-auth/bound');
    expect(who.headers.get('x-auth-request-user')).toBe('C-1001');
    expect(host.state.calls.lookup).toBe(1);
    expect(host.state.refused).toBe(0);
  });

  it('an unknown phone is refused with the configured message; the code stays good for when the host knows it', async () => {
    const { host, bff } = await withHost({ DIRECTORY_UNKNOWN_PHONE_MESSAGE: '该手机号尚未注册，请先到官网注册' });
    const browser = await loggedIn(bff);
    const code = await smsCode(bff, browser, '13700137000');
    const refused = await browser.post('/api/account/bind', { phone: '13700137000', smsCode: code });
    expect(refused.status).toBe(403);
    expect((await body(refused)).error).toMatchObject({
      code: 'PHONE_NOT_REGISTERED',
      message: '该手机号尚未注册，请先到官网注册',
    });
    host.customers.push({ customerId: 'C-2001', phone: '13700137000' });
    expect((await browser.post('/api/account/bind', { phone: '13700137000', smsCode: code })).status).toBe(200);
  });

  it('DIRECTORY_UNKNOWN_PHONE=create makes a customer here for a phone the host does not know', async () => {
    const { bff } = await withHost({ DIRECTORY_UNKNOWN_PHONE: 'create' });
    const browser = await loggedIn(bff);
    const code = await smsCode(bff, browser, '13700137000');
    expect((await browser.post('/api/account/bind', { phone: '13700137000', smsCode: code })).status).toBe(200);
    const who = await browser.request('/internal/forward-auth/bound');
    expect(who.headers.get('x-auth-request-user')).toMatch(/^wxauth-\d+$/);
  });

  it('the host down: 503 DIRECTORY_UNAVAILABLE, nothing written, and the same code binds once it is back', async () => {
    const { host, bff } = await withHost();
    const browser = await loggedIn(bff);
    const code = await smsCode(bff, browser, '13800138000');
    await host.stop();
    const down = await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code });
    expect(down.status).toBe(503);
    expect((await body(down)).error.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(await (await browser.request('/api/session')).json()).toMatchObject({ bound: false });
    expect(await bff.db.selectFrom('customers').selectAll().execute()).toEqual([]);
    await host.start();
    expect((await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code })).status).toBe(200);
  });

  it('a slow host (past DIRECTORY_TIMEOUT_MS), a failing one and a nonsense answer are all 503, never a guess', async () => {
    const { host, bff } = await withHost();
    const browser = await loggedIn(bff);
    const code = await smsCode(bff, browser, '13800138000');
    const bind = () => browser.post('/api/account/bind', { phone: '13800138000', smsCode: code });
    host.state.delayMs = 800;
    expect((await bind()).status).toBe(503);
    host.state.delayMs = 0;
    host.failNext('/wxauth/customers/lookup');
    expect((await bind()).status).toBe(503);
    host.customers[0]!.customerId = 'not an id!';
    expect((await bind()).status).toBe(503);
    host.customers[0]!.customerId = 'C-1001';
    expect((await bind()).status).toBe(200);
  });

  it('concurrent bindings of one phone from several apps give one customer', async () => {
    const { bff } = await withHost();
    const browsers = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => loggedIn(bff, u)));
    // One code per browser (each its own session): sent a minute apart, as the phone's limit wants.
    const codes: string[] = [];
    for (const b of browsers) {
      codes.push(await smsCode(bff, b, '13800138000'));
      bff.advance(MINUTE + 1000);
    }
    const answers = await Promise.all(
      browsers.map((b, i) => b.post('/api/account/bind', { phone: '13800138000', smsCode: codes[i] })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const customers = await bff.db.selectFrom('customers').selectAll().execute();
    expect(customers.map((c) => c.ref)).toEqual(['C-1001']);
  });
});

describe('POST /api/account/bind-password (BIND_METHODS=sms,password)', () => {
  const bindPassword = (b: Browser, account: unknown, password: unknown) =>
    b.post('/api/account/bind-password', { account, password });

  it("binds to the host's customer the password proves; the password is never stored or logged", async () => {
    const { host, bff } = await withHost();
    const browser = await loggedIn(bff);
    const res = await bindPassword(browser, ' zhangsan ', 'Right-Pass-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ next: 'home' });
    const session = (await (await browser.request('/api/session')).json()) as { user: Record<string, unknown> };
    expect(session).toMatchObject({ bound: true, user: { phone: null, displayName: '张三' } });
    expect(host.state.calls.verify).toBe(1);
    const stored = JSON.stringify(await bff.db.selectFrom('customers').selectAll().execute());
    expect(stored).not.toContain('Right-Pass-1');
  });

  it('one answer for a wrong account and a wrong password', async () => {
    const { bff } = await withHost();
    const browser = await loggedIn(bff);
    const wrongPassword = await bindPassword(browser, 'zhangsan', 'nope');
    const noSuchAccount = await bindPassword(browser, 'nobody', 'nope');
    expect([wrongPassword.status, noSuchAccount.status]).toEqual([401, 401]);
    expect((await body(wrongPassword)).error).toEqual((await body(noSuchAccount)).error);
    expect((await body(await bindPassword(browser, 'zhangsan', 'x'))).error).toEqual({
      code: 'CREDENTIALS_INVALID',
      message: '账号或密码错误',
    });
  });

  it.each([
    [{ account: '', password: 'x' }, 'ACCOUNT_INVALID'],
    [{ account: 'a\nb', password: 'x' }, 'ACCOUNT_INVALID'],
    [{ account: 'x'.repeat(65), password: 'x' }, 'ACCOUNT_INVALID'],
    [{ account: 12345, password: 'x' }, 'ACCOUNT_INVALID'],
    [{ account: 'zhangsan', password: '' }, 'PASSWORD_REQUIRED'],
    [{ account: 'zhangsan' }, 'PASSWORD_REQUIRED'],
    [{ account: 'zhangsan', password: 'x'.repeat(257) }, 'PASSWORD_REQUIRED'],
  ])('refuses %j with %s, asking the host nothing', async (input, code) => {
    const { host, bff } = await withHost();
    const res = await (await loggedIn(bff)).post('/api/account/bind-password', input);
    expect(res.status).toBe(400);
    expect((await body(res)).error.code).toBe(code);
    expect(host.state.calls.verify).toBe(0);
  });

  it('5 failures lock the account for 15 minutes, from every address and every case of its name', async () => {
    // nginx in front (TRUST_PROXY): each browser its own address, so only the account's lock is met.
    const { host, bff } = await withHost({ TRUST_PROXY: 'loopback' });
    const from = (b: Browser, ip: string, account: string, password: string) =>
      b.request('/api/account/bind-password', {
        method: 'POST',
        json: { account, password },
        headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
      });
    const attacker = await loggedIn(bff, 'mallory');
    for (let i = 0; i < 5; i++)
      expect((await from(attacker, `198.51.100.${i}`, 'zhangsan', `guess-${i}`)).status).toBe(401);
    const locked = await from(attacker, '198.51.100.9', 'zhangsan', 'Right-Pass-1');
    expect(locked.status).toBe(429);
    expect((await body(locked)).error).toMatchObject({ code: 'ACCOUNT_LOCKED', retryAfterSeconds: 900 });
    // Another WeChat user, another address, the right password, the name in capitals: still locked.
    const owner = await loggedIn(bff, 'owner');
    expect((await from(owner, '203.0.113.7', 'ZhangSan', 'Right-Pass-1')).status).toBe(429);
    expect((await from(owner, '203.0.113.7', 'ｚｈａｎｇｓａｎ', 'Right-Pass-1')).status).toBe(429);
    // Another account from the same new address is not locked.
    expect((await from(owner, '203.0.113.8', 'lisi@example.com', 'pw-lisi-2')).status).toBe(200);
    expect(host.state.calls.verify).toBe(6);
    bff.advance(15 * MINUTE + 1000);
    const later = await loggedIn(bff, 'owner2');
    expect((await from(later, '203.0.113.9', 'zhangsan', 'Right-Pass-1')).status).toBe(200);
  });

  it('5 failures from one address lock it, whatever the account and WeChat user', async () => {
    const { bff } = await withHost({ TRUST_PROXY: 'loopback' });
    const post = async (user: string, ip: string, account: string, password: string) =>
      (await loggedIn(bff, user)).request('/api/account/bind-password', {
        method: 'POST',
        json: { account, password },
        headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
      });
    for (let i = 0; i < 5; i++)
      expect((await post(`bot${i}`, '198.51.100.1', `acct${i}`, 'Password1')).status).toBe(401);
    expect((await post('bot9', '198.51.100.1', 'zhangsan', 'Right-Pass-1')).status).toBe(429);
    expect((await post('bot9', '198.51.100.2', 'zhangsan', 'Right-Pass-1')).status).toBe(200);
  });

  it('guesses sent all at once reach the host at most 5 times', async () => {
    const { host, bff } = await withHost();
    const browsers = await Promise.all(Array.from({ length: 4 }, (_, i) => loggedIn(bff, `bot${i}`)));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => bindPassword(browsers[i % 4]!, 'zhangsan', `guess-${i}`)),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(15);
    expect(host.state.calls.verify).toBe(5);
  });

  it('5 failures from one WeChat user across different accounts lock that user', async () => {
    const { host, bff } = await withHost();
    const sprayer = await loggedIn(bff, 'sprayer');
    for (let i = 0; i < 5; i++) expect((await bindPassword(sprayer, `account${i}`, 'Password1')).status).toBe(401);
    expect((await bindPassword(sprayer, 'zhangsan', 'Right-Pass-1')).status).toBe(429);
    expect(host.state.calls.verify).toBe(5);
  });

  it('the host down is 503 and costs no try; BIND_METHODS without password is 403', async () => {
    const { host, bff } = await withHost();
    const browser = await loggedIn(bff);
    await host.stop();
    for (let i = 0; i < 6; i++)
      expect((await body(await bindPassword(browser, 'zhangsan', 'Right-Pass-1'))).error.code).toBe(
        'DIRECTORY_UNAVAILABLE',
      );
    await host.start();
    expect((await bindPassword(browser, 'zhangsan', 'Right-Pass-1')).status).toBe(200);

    const { bff: smsOnly } = await withHost({ BIND_METHODS: 'sms' });
    const res = await bindPassword(await loggedIn(smsOnly), 'zhangsan', 'Right-Pass-1');
    expect(res.status).toBe(403);
    expect((await body(res)).error.code).toBe('BIND_METHOD_DISABLED');
    const meta = (await (await fetch(`${smsOnly.origin}/api/meta`)).json()) as { bindMethods: string[] };
    expect(meta.bindMethods).toEqual(['sms']);
  });
});

describe('POST /internal/events: the host tells us of a password change', () => {
  const send = (
    bff: Bff,
    event: unknown,
    opts: { secret?: string; at?: number; raw?: string; header?: string } = {},
  ) => {
    const text = opts.raw ?? JSON.stringify(event);
    return fetch(`${bff.origin}/internal/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-wxauth-signature': opts.header ?? sign(opts.secret ?? SECRET, text, opts.at ?? Date.now()),
      },
      body: text,
    });
  };
  const changed = (id: string, customerId = 'C-1001') => ({
    id,
    type: 'customer.password_changed',
    data: { customerId },
  });

  it("drops the customer's bindings and signs the WeChat user out; a replay is a duplicate", async () => {
    const { bff } = await withHost();
    const browser = await loggedIn(bff);
    expect(
      (await browser.post('/api/account/bind-password', { account: 'zhangsan', password: 'Right-Pass-1' })).status,
    ).toBe(200);
    const res = await send(bff, changed('host-evt-1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 'host-evt-1', duplicate: false });
    expect((await browser.request('/api/session')).status).toBe(401);
    const again = await send(bff, changed('host-evt-1'));
    expect(await again.json()).toEqual({ received: 'host-evt-1', duplicate: true });
    // A customer wxauth never bound: nothing to drop, no error (the host sends for all its customers).
    expect((await send(bff, changed('host-evt-2', 'C-unknown'))).status).toBe(200);
  });

  it('refuses a tampered, replayed (old), unsigned or wrongly signed event, and a malformed one', async () => {
    const { bff } = await withHost();
    const event = changed('host-evt-9');
    const text = JSON.stringify(event);
    const signed = sign(SECRET, text);
    const reason = async (res: Response) => {
      const { error } = await body(res);
      return [res.status, error.code, error.reason];
    };
    expect(await reason(await send(bff, null, { raw: text.replace('C-1001', 'C-1002'), header: signed }))).toEqual([
      401,
      'SIGNATURE_INVALID',
      'mismatch',
    ]);
    expect(await reason(await send(bff, event, { at: Date.now() - 6 * MINUTE }))).toEqual([
      401,
      'SIGNATURE_INVALID',
      'stale',
    ]);
    expect(await reason(await send(bff, event, { header: '' }))).toEqual([401, 'SIGNATURE_INVALID', 'missing']);
    expect(await reason(await send(bff, event, { secret: 'another-secret-0123456789abcdef-xx' }))).toEqual([
      401,
      'SIGNATURE_INVALID',
      'mismatch',
    ]);
    const bad = await send(bff, { id: 'x', type: 'customer.deleted', data: { customerId: 'C-1' } });
    expect([bad.status, (await body(bad)).error.code]).toEqual([400, 'EVENT_INVALID']);
  });

  it('a malformed signature header is refused as such, before the body is read', async () => {
    const { bff } = await withHost();
    for (const header of ['v1=abc', 't=1,v1=nothex', `v1=${'a'.repeat(64)}`, 'sha256=whatever']) {
      const res = await send(bff, { not: 'an event' }, { header });
      expect([res.status, (await body(res)).error]).toMatchObject([
        401,
        { code: 'SIGNATURE_INVALID', reason: 'malformed' },
      ]);
    }
  });

  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['no id', { type: 'customer.password_changed', data: { customerId: 'C-1001' } }],
    ['a numeric id', { ...changed('x'), id: 7 }],
    ['an id of 65 characters', changed('e'.repeat(65))],
    ['an id with a space', changed('evt 1')],
    ['an empty id', changed('')],
    ['no type', { id: 'evt-1', data: { customerId: 'C-1001' } }],
    ['a type in other case', { ...changed('evt-1'), type: 'Customer.Password_Changed' }],
    ['no data', { id: 'evt-1', type: 'customer.password_changed' }],
    ['null data', { ...changed('evt-1'), data: null }],
    ['data as text', { ...changed('evt-1'), data: 'C-1001' }],
    ['data as a list', { ...changed('evt-1'), data: ['C-1001'] }],
    ['no customerId', { ...changed('evt-1'), data: {} }],
    ['a numeric customerId', { ...changed('evt-1'), data: { customerId: 1001 } }],
    ['a customerId of 65 characters', changed('evt-1', 'c'.repeat(65))],
    ['a customerId with a slash', changed('evt-1', 'C/1001')],
  ])('a signed event with %s is 400 EVENT_INVALID', async (_what, event) => {
    const { bff } = await withHost();
    const res = await send(bff, event);
    expect([res.status, (await body(res)).error.code]).toEqual([400, 'EVENT_INVALID']);
  });

  it('a signed empty body is 400 EVENT_INVALID', async () => {
    const { bff } = await withHost();
    const res = await fetch(`${bff.origin}/internal/events`, {
      method: 'POST',
      headers: { 'x-wxauth-signature': sign(SECRET, '') },
    });
    expect([res.status, (await body(res)).error.code]).toEqual([400, 'EVENT_INVALID']);
  });

  it('takes both event types, and ignores fields it does not know', async () => {
    const { bff } = await withHost();
    const revoke = { id: 'evt-r', type: 'customer.revoke_wechat', data: { customerId: 'C-1002', by: 'ops' }, v: 2 };
    const res = await send(bff, revoke);
    expect([res.status, await res.json()]).toEqual([200, { received: 'evt-r', duplicate: false }]);
  });

  it('does not exist where no HOST_SIGNING_SECRET is set', async () => {
    const bff = await startBff();
    const res = await send(bff, changed('evt-1'));
    expect([res.status, (await body(res)).error.code]).toEqual([404, 'NOT_FOUND']);
  });
});

/** A host directory whose /customers/verify and /customers/lookup answers are the test's own. */
async function customHost(answer: (path: string, body: Record<string, string>) => Promise<[number, string]>) {
  const { createServer } = await import('node:http');
  const { verifyWxauthSignature } = await import('../../../../../docs/examples/verify-signature.mjs');
  const calls: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (!verifyWxauthSignature(SECRET, req.headers['x-wxauth-signature'], raw)) return void res.writeHead(401).end();
    const body = JSON.parse(raw) as Record<string, string>;
    calls.push(body.account ?? body.phone ?? '');
    const [status, text] = await answer(req.url ?? '', body);
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hosts.push({
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  } as HostStandIn);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/wxauth`, calls };
}

const customBff = (url: string, env: Record<string, string> = {}) =>
  startBff({
    env: {
      CUSTOMER_DIRECTORY: 'webhook',
      DIRECTORY_URL: url,
      HOST_SIGNING_SECRET: SECRET,
      BIND_METHODS: 'sms,password',
      ...env,
    },
  });

describe('what the security review found, kept fixed', () => {
  it('a 64-bit customer id sent as a JSON number is refused (it has lost digits), a safe one is taken as text', async () => {
    const host = await customHost(async (_path, { account }) =>
      account === 'java'
        ? [200, '{"customerId":1234567890123456789}']
        : account === 'small'
          ? [200, '{"customerId":12345}']
          : [401, '{}'],
    );
    const bff = await customBff(host.url);
    const refused = await (
      await loggedIn(bff, 'a')
    ).post('/api/account/bind-password', { account: 'java', password: 'p' });
    expect([refused.status, (await body(refused)).error.code]).toEqual([503, 'DIRECTORY_UNAVAILABLE']);
    const b = await loggedIn(bff, 'b');
    expect((await b.post('/api/account/bind-password', { account: 'small', password: 'p' })).status).toBe(200);
    expect((await b.request('/internal/forward-auth/bound')).headers.get('x-auth-request-user')).toBe('12345');
  });

  it("a host's customer id that is also the id of a customer made here is never taken as that customer", async () => {
    const builtin = await startBff();
    const alice = await loggedIn(builtin, 'alice');
    const code = await smsCode(builtin, alice, '13800138001');
    expect((await alice.post('/api/account/bind', { phone: '13800138001', smsCode: code })).status).toBe(200);
    expect((await alice.request('/internal/forward-auth/bound')).headers.get('x-auth-request-user')).toBe('1');
    const host = await startHostStandIn({
      secret: SECRET,
      customers: [{ customerId: '1', account: 'wangwu', password: 'pw-wangwu-1' }],
    });
    hosts.push(host);
    const webhook = await startBff({
      peer: builtin,
      env: {
        CUSTOMER_DIRECTORY: 'webhook',
        DIRECTORY_URL: host.directoryUrl,
        HOST_SIGNING_SECRET: SECRET,
        BIND_METHODS: 'password',
      },
    });
    const wangwu = await loggedIn(webhook, 'wangwu');
    const res = await wangwu.post('/api/account/bind-password', { account: 'wangwu', password: 'pw-wangwu-1' });
    expect(res.status).toBe(503);
    expect((await wangwu.request('/internal/forward-auth/bound')).status).toBe(401);
    expect((await alice.request('/internal/forward-auth/bound')).headers.get('x-auth-request-phone')).toBe(
      '13800138001',
    );
    expect(webhook.logs.join('')).toMatch(/is also a customer made by wxauth itself/);
  });

  it('a phone the host gives to another customer is no longer named by the old holder’s sessions', async () => {
    const { host, bff } = await withHost();
    host.customers[1]!.phone = undefined;
    const oldOwner = await loggedIn(bff, 'old-owner');
    const code = await smsCode(bff, oldOwner, '13800138000');
    expect((await oldOwner.post('/api/account/bind', { phone: '13800138000', smsCode: code })).status).toBe(200);
    expect((await oldOwner.request('/internal/forward-auth/bound')).headers.get('x-auth-request-phone')).toBe(
      '13800138000',
    );
    // The number is recycled: the host now files it under C-1002.
    host.customers[0]!.phone = undefined;
    host.customers[1]!.phone = '13800138000';
    bff.advance(MINUTE + 1000);
    const newOwner = await loggedIn(bff, 'new-owner');
    const code2 = await smsCode(bff, newOwner, '13800138000');
    expect((await newOwner.post('/api/account/bind', { phone: '13800138000', smsCode: code2 })).status).toBe(200);
    const old = await oldOwner.request('/internal/forward-auth/bound');
    expect(old.headers.get('x-auth-request-phone')).not.toBe('13800138000');
  });

  it('a host that answers an error (or too slowly) still counts the try: 5 of them lock the account', async () => {
    const host = await customHost(async (_path, { password }) =>
      password!.length > 200 ? [500, '{"error":"too long"}'] : [401, '{}'],
    );
    const bff = await customBff(host.url, { TRUST_PROXY: 'loopback' });
    for (let i = 0; i < 5; i++) {
      const b = await loggedIn(bff, `bot${i}`);
      await b.request('/api/account/bind-password', {
        method: 'POST',
        json: { account: 'zhangsan', password: 'x'.repeat(250) },
        headers: { 'x-forwarded-for': `198.51.100.${i}`, 'x-forwarded-proto': 'https' },
      });
    }
    const last = await (
      await loggedIn(bff, 'bot9')
    ).request('/api/account/bind-password', {
      method: 'POST',
      json: { account: 'zhangsan', password: 'guess' },
      headers: { 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https' },
    });
    expect(last.status).toBe(429);
    expect(host.calls).toHaveLength(5);
  });

  it('spellings a host may take for one account (accents, case, width) share its budget; invisible characters are refused', async () => {
    const host = await customHost(async () => [401, '{}']);
    const bff = await customBff(host.url, { TRUST_PROXY: 'loopback' });
    const spellings = ['zhangsan', 'ZHANGSAN', 'zhängsan', 'ｚｈａｎｇｓａｎ', 'Zhāngsān', 'zhangsan'];
    const statuses: number[] = [];
    for (const [i, account] of spellings.entries()) {
      const b = await loggedIn(bff, `u${i}`);
      const res = await b.request('/api/account/bind-password', {
        method: 'POST',
        json: { account, password: 'guess' },
        headers: { 'x-forwarded-for': `203.0.113.${i}`, 'x-forwarded-proto': 'https' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const zeroWidth = await (
      await loggedIn(bff, 'zw')
    ).post('/api/account/bind-password', {
      account: 'zhang\u200bsan',
      password: 'guess',
    });
    expect((await body(zeroWidth)).error.code).toBe('ACCOUNT_INVALID');
  });

  it('guesses one WeChat user sends at once at many accounts reach the host at most 5 times', async () => {
    const host = await customHost(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return [401, '{}'];
    });
    const bff = await customBff(host.url);
    const sprayer = await loggedIn(bff, 'sprayer');
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        sprayer.post('/api/account/bind-password', { account: `victim${i}`, password: 'Password1' }),
      ),
    );
    expect(host.calls.length).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(20);
  });

  it("a directory that refuses our signature (another HOST_SIGNING_SECRET) is the operator's problem, not a wrong password", async () => {
    const { host, bff } = await withHost({ HOST_SIGNING_SECRET: 'another-host-secret-0123456789abcdef-x' });
    const browser = await loggedIn(bff);
    for (let i = 0; i < 6; i++) {
      const res = await browser.post('/api/account/bind-password', { account: 'zhangsan', password: 'Right-Pass-1' });
      expect([res.status, (await body(res)).error.code]).toEqual([503, 'DIRECTORY_UNAVAILABLE']);
    }
    expect(host.state.refused).toBe(6);
    expect(bff.logs.join('')).toMatch(/refused our signature \(403\): is HOST_SIGNING_SECRET the same on both sides/);
  });

  it('an answer larger than 64 KB is not read: 503, and the process does not hold it', async () => {
    const host = await customHost(async () => [200, JSON.stringify({ customerId: 'C-1', pad: 'x'.repeat(200_000) })]);
    const bff = await customBff(host.url);
    const res = await (await loggedIn(bff)).post('/api/account/bind-password', { account: 'a', password: 'p' });
    expect([res.status, (await body(res)).error.code]).toEqual([503, 'DIRECTORY_UNAVAILABLE']);
  });
});
