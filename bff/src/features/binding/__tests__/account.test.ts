import { describe, expect, it } from 'vitest';
import { startBff, type Bff, type Browser } from '../../../__tests__/harness.js';

const body = async (res: Response) => (await res.json()) as { error: { code: string; [k: string]: unknown } };
const errorCode = async (res: Response) => (await body(res)).error.code;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function loggedIn(bff: Bff, user = 'alice'): Promise<Browser> {
  const browser = bff.browser();
  expect((await browser.login({ user })).status).toBe(200);
  return browser;
}

describe('POST /api/sms/send', () => {
  it('needs a WeChat session', async () => {
    const bff = await startBff();
    const res = await bff.browser().post('/api/sms/send', { phone: '13800138000' });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('SESSION_REQUIRED');
  });

  it.each([
    '12345678901',
    '1380013800',
    '138001380001',
    '23800138000',
    '8613800138000',
    '+85213800138',
    '１３８００１３８０００',
    13800138000,
    null,
    '',
  ])('refuses %j with PHONE_INVALID', async (phone) => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    const res = await browser.post('/api/sms/send', { phone });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('PHONE_INVALID');
  });

  it('accepts +86 and sends 6 digits, answering the cooldown', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    const res = await browser.post('/api/sms/send', { phone: '+8613800138000' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cooldownSeconds: 60 });
    expect(bff.inbox.get('13800138000')).toMatch(/^\d{6}$/);
  });

  it('answers the same whether or not the phone belongs to a customer', async () => {
    const bff = await startBff();
    await (await loggedIn(bff, 'owner')).loginAndBind('owner', '13800138000', bff.inbox);
    bff.advance(2 * MINUTE);
    const known = await (await loggedIn(bff, 'x')).post('/api/sms/send', { phone: '13800138000' });
    const unknown = await (await loggedIn(bff, 'y')).post('/api/sms/send', { phone: '13900139000' });
    expect([known.status, await known.text()]).toEqual([unknown.status, await unknown.text()]);
  });

  it('limits a phone to 1 a minute, with Retry-After', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    expect((await browser.post('/api/sms/send', { phone: '13800138000' })).status).toBe(200);
    bff.advance(30_000);
    const again = await browser.post('/api/sms/send', { phone: '13800138000' });
    expect(again.status).toBe(429);
    expect(await body(again)).toMatchObject({ error: { code: 'SMS_RATE_LIMITED', retryAfterSeconds: 30 } });
    expect(again.headers.get('retry-after')).toBe('30');
    bff.advance(30_000);
    expect((await browser.post('/api/sms/send', { phone: '13800138000' })).status).toBe(200);
  });

  it('limits a phone to 5 an hour and 10 a day, whoever asks', async () => {
    const bff = await startBff();
    const send = async () => (await loggedIn(bff, `u${Math.random()}`)).post('/api/sms/send', { phone: '13800138000' });
    for (let i = 0; i < 5; i++) {
      expect((await send()).status).toBe(200);
      bff.advance(MINUTE + 1);
    }
    expect((await send()).status).toBe(429);
    bff.advance(HOUR);
    for (let i = 0; i < 5; i++) {
      expect((await send()).status).toBe(200);
      bff.advance(MINUTE + 1);
    }
    bff.advance(HOUR);
    expect((await send()).status).toBe(429);
    bff.advance(24 * HOUR);
    expect((await send()).status).toBe(200);
  });

  it('limits a session to 5 codes an hour, whatever the phones', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    for (let i = 0; i < 5; i++)
      expect((await browser.post('/api/sms/send', { phone: `1380013800${i}` })).status).toBe(200);
    expect((await browser.post('/api/sms/send', { phone: '13800138009' })).status).toBe(429);
  });

  it('limits an IP to 30 codes an hour', async () => {
    const bff = await startBff();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const browser = await loggedIn(bff, `ip${i}`);
      statuses.push((await browser.post('/api/sms/send', { phone: `139${String(i).padStart(8, '0')}` })).status);
    }
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses[30]).toBe(429);
  });

  it('refuses a session that is already bound', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.loginAndBind('alice', '13800138000', bff.inbox);
    bff.advance(2 * MINUTE);
    const res = await browser.post('/api/sms/send', { phone: '13800138000' });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('ALREADY_BOUND');
  });
});

describe('POST /api/account/bind', () => {
  it('binds the phone, rotates the session id, and the session shows the masked phone', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    const before = browser.cookies.get('__Host-wxauth_sid');
    await browser.post('/api/sms/send', { phone: '13800138000' });
    const res = await browser.post('/api/account/bind', {
      phone: '13800138000',
      smsCode: bff.inbox.get('13800138000'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ next: 'home', returnTo: '/' });
    expect(browser.cookies.get('__Host-wxauth_sid')).not.toBe(before);
    const session = await (await browser.request('/api/session')).json();
    expect(session).toMatchObject({ bound: true, user: { phone: '138****8000' } });
    const old = bff.browser();
    old.cookies.set('__Host-wxauth_sid', before!);
    expect((await old.request('/api/session')).status).toBe(401);
  });

  it('the next login of a bound user goes straight home', async () => {
    const bff = await startBff();
    await (await loggedIn(bff)).loginAndBind('alice', '13800138000', bff.inbox);
    const res = await bff.browser().login({ user: 'alice', returnTo: '/cart' });
    expect(await res.json()).toEqual({ next: 'home', returnTo: '/cart' });
  });

  it('a wrong code, then the right one', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    const right = bff.inbox.get('13800138000')!;
    const wrong = right === '000000' ? '000001' : '000000';
    const miss = await browser.post('/api/account/bind', { phone: '13800138000', smsCode: wrong });
    expect(miss.status).toBe(400);
    expect(await body(miss)).toMatchObject({ error: { code: 'SMS_CODE_INVALID', triesLeft: 4 } });
    expect((await browser.post('/api/account/bind', { phone: '13800138000', smsCode: right })).status).toBe(200);
  });

  it('a database that fails during the binding: 503, the code is kept, and the retry binds', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    const code = bff.inbox.get('13800138000')!;
    const bindCustomer = bff.store.bindCustomer;
    // What mysql2 throws when the server goes away mid-transaction.
    const lost = Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true });
    bff.store.bindCustomer = () => Promise.reject(lost);
    const failed = await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(await body(failed)).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    bff.store.bindCustomer = bindCustomer;
    expect((await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code })).status).toBe(200);
    // Single use still: the code went with the binding.
    expect((await browser.post('/api/account/bind', { phone: '13800138000', smsCode: code })).status).toBe(409);
  });

  it('a code is void after 5 wrong tries, even for the right code', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    const right = bff.inbox.get('13800138000')!;
    const wrong = right === '000000' ? '000001' : '000000';
    const codes: string[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(await errorCode(await browser.post('/api/account/bind', { phone: '13800138000', smsCode: wrong })));
    expect(codes).toEqual([...Array(4).fill('SMS_CODE_INVALID'), 'SMS_CODE_EXHAUSTED']);
    const late = await browser.post('/api/account/bind', { phone: '13800138000', smsCode: right });
    expect(await errorCode(late)).toBe('SMS_CODE_EXPIRED');
  });

  it('a code lives 5 minutes', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    bff.advance(5 * MINUTE + 1);
    const res = await browser.post('/api/account/bind', {
      phone: '13800138000',
      smsCode: bff.inbox.get('13800138000'),
    });
    expect(await errorCode(res)).toBe('SMS_CODE_EXPIRED');
  });

  it('a code is bound to the session that asked and to its phone', async () => {
    const bff = await startBff();
    const asker = await loggedIn(bff, 'alice');
    const other = await loggedIn(bff, 'mallory');
    await asker.post('/api/sms/send', { phone: '13800138000' });
    const code = bff.inbox.get('13800138000');
    expect(await errorCode(await other.post('/api/account/bind', { phone: '13800138000', smsCode: code }))).toBe(
      'SMS_CODE_EXPIRED',
    );
    expect(await errorCode(await asker.post('/api/account/bind', { phone: '13900139000', smsCode: code }))).toBe(
      'SMS_CODE_INVALID',
    );
  });

  it('a resend replaces the old code', async () => {
    const bff = await startBff({
      random: {
        digits: (() => {
          let n = 0;
          return () => String(111111 * ++n);
        })(),
      },
    });
    const browser = await loggedIn(bff);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    bff.advance(MINUTE + 1);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    expect(bff.inbox.get('13800138000')).toBe('222222');
    expect(await errorCode(await browser.post('/api/account/bind', { phone: '13800138000', smsCode: '111111' }))).toBe(
      'SMS_CODE_INVALID',
    );
    expect((await browser.post('/api/account/bind', { phone: '13800138000', smsCode: '222222' })).status).toBe(200);
  });

  it('a 10,000-guess brute force never succeeds, though each code is the guess right after its fifth', async () => {
    let guess = 0;
    // A code sent after guess g faces guesses g+1 … g+5; it is made to be g+6, the sixth: only the
    // five-try rule stops the attacker from reaching it.
    const bff = await startBff({ random: { digits: () => String(guess + 6).padStart(6, '0') } });
    const browser = await loggedIn(bff);
    const outcomes = new Map<string, number>();
    let codesIssued = 0;
    // The attacker asks for a new code as soon as the limits allow, so every guess meets a live code.
    const send = async () => {
      for (;;) {
        const res = await browser.post('/api/sms/send', { phone: '13800138000' });
        if (res.status === 200) return void codesIssued++;
        // Sessions end (idle, absolute) over the simulated months: the attacker just logs in again.
        if (res.status === 401) expect((await browser.login({ user: 'alice' })).status).toBe(200);
        else bff.advance(Number(res.headers.get('retry-after')) * 1000);
      }
    };
    await send();
    for (; guess < 10_000; guess++) {
      const res = await browser.post('/api/account/bind', {
        phone: '13800138000',
        smsCode: String(guess).padStart(6, '0'),
      });
      const code = res.status === 200 ? 'BOUND' : await errorCode(res);
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (code === 'SMS_CODE_EXHAUSTED' || code === 'SESSION_REQUIRED') await send();
    }
    expect(outcomes.get('BOUND')).toBeUndefined();
    expect(outcomes.get('SMS_CODE_EXPIRED')).toBeUndefined();
    expect(codesIssued).toBeGreaterThan(1900);
    expect((await (await browser.request('/api/session')).json()) as object).toMatchObject({ bound: false });
  }, 120_000);

  it('binding a phone already bound to another WeChat of this app moves it, and voids the old sessions', async () => {
    const bff = await startBff();
    const alice = await loggedIn(bff, 'alice');
    await alice.loginAndBind('alice', '13800138000', bff.inbox);
    bff.advance(2 * MINUTE);
    const bob = await loggedIn(bff, 'bob');
    await bob.loginAndBind('bob', '13800138000', bff.inbox);
    expect((await alice.request('/api/session')).status).toBe(401);
    expect(await (await bff.browser().login({ user: 'alice' })).json()).toMatchObject({ next: 'bind' });
    expect(await (await bff.browser().login({ user: 'bob' })).json()).toMatchObject({ next: 'home' });
    expect(await bff.db.selectFrom('customers').selectAll().execute()).toHaveLength(1);
  });
});

describe('sessions', () => {
  it('expire after the idle timeout, and are kept alive by use', async () => {
    const bff = await startBff({ env: { SESSION_IDLE_MINUTES: '30' } });
    const browser = await loggedIn(bff);
    bff.advance(20 * MINUTE);
    expect((await browser.request('/api/session')).status).toBe(200);
    bff.advance(20 * MINUTE);
    expect((await browser.request('/api/session')).status).toBe(200);
    bff.advance(30 * MINUTE + 1);
    const res = await browser.request('/api/session');
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie().join()).toContain('wxauth_sid=; Path=/; Max-Age=0');
  });

  it('expire after the absolute timeout, however busy', async () => {
    const bff = await startBff({ env: { SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '2' } });
    const browser = await loggedIn(bff);
    const statuses: number[] = [];
    for (let t = 0; t < 150; t += 20) {
      statuses.push((await browser.request('/api/session')).status);
      bff.advance(20 * MINUTE);
    }
    // 0, 20, … 100 minutes in: alive; at 120 (the absolute limit) and after: gone.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 401, 401]);
  });

  it('logout ends the session on the server', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    const id = browser.cookies.get('__Host-wxauth_sid')!;
    expect((await browser.post('/api/auth/logout')).status).toBe(204);
    const replay = bff.browser();
    replay.cookies.set('__Host-wxauth_sid', id);
    expect((await replay.request('/api/session')).status).toBe(401);
  });

  it('unbind drops the binding and the session; the next login asks to bind again', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.loginAndBind('alice', '13800138000', bff.inbox);
    const other = bff.browser();
    await other.login({ user: 'alice' });
    expect((await browser.post('/api/account/unbind')).status).toBe(204);
    expect((await browser.request('/api/session')).status).toBe(401);
    expect((await other.request('/api/session')).status).toBe(401);
    bff.advance(1);
    expect(await (await browser.login({ user: 'alice' })).json()).toMatchObject({ next: 'bind' });
    expect(await errorCode(await browser.post('/api/account/unbind'))).toBe('NOT_BOUND');
  });
});

describe('POST /internal/customers/:id/revoke-wechat', () => {
  const revoke = (bff: Bff, id: string, token?: string) =>
    fetch(`${bff.origin}/internal/customers/${id}/revoke-wechat`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('needs the bearer token', async () => {
    const bff = await startBff();
    expect((await revoke(bff, '1')).status).toBe(401);
    expect((await revoke(bff, '1', 'wrong')).status).toBe(401);
  });

  it('asks for the token before it looks at the id, and only the whole token as Bearer will do', async () => {
    const bff = await startBff();
    const token = bff.config.internalApiToken;
    const tries: Array<Record<string, string>> = [
      {},
      { authorization: token },
      { authorization: `Basic ${token}` },
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: `Bearer ${token}x` },
    ];
    for (const headers of tries)
      for (const id of ['1', 'x'.repeat(65)]) {
        const res = await fetch(`${bff.origin}/internal/customers/${id}/revoke-wechat`, { method: 'POST', headers });
        expect([res.status, await res.json()]).toEqual([
          401,
          { error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } },
        ]);
      }
  });

  it('drops the bindings and sessions of a customer', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    await browser.loginAndBind('alice', '13800138000', bff.inbox);
    const { id } = await bff.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    bff.advance(1);
    expect((await revoke(bff, String(id), bff.config.internalApiToken)).status).toBe(204);
    expect((await browser.request('/api/session')).status).toBe(401);
    bff.advance(1);
    expect(await (await browser.login({ user: 'alice' })).json()).toMatchObject({ next: 'bind' });
  });

  it('answers 404 for an unknown customer and 400 for a malformed id', async () => {
    const bff = await startBff();
    expect((await revoke(bff, '999', bff.config.internalApiToken)).status).toBe(404);
    expect((await revoke(bff, 'x'.repeat(65), bff.config.internalApiToken)).status).toBe(400);
    expect((await revoke(bff, 'a%20b', bff.config.internalApiToken)).status).toBe(400);
  });
});

describe('edges', () => {
  it('answers JSON errors for unknown routes, wrong methods, wrong media types and bad JSON', async () => {
    const bff = await startBff();
    const browser = await loggedIn(bff);
    expect(await errorCode(await browser.request('/api/nope'))).toBe('NOT_FOUND');
    expect(await errorCode(await browser.request('/api/account/bind'))).toBe('METHOD_NOT_ALLOWED');
    const form = await browser.request('/api/sms/send', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'phone=13800138000',
    });
    expect([form.status, await errorCode(form)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const bad = await browser.request('/api/sms/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"phone":',
    });
    expect([bad.status, await errorCode(bad)]).toEqual([400, 'BAD_JSON']);
    const big = await browser.post('/api/sms/send', { phone: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
  });

  it('healthz and readyz', async () => {
    const bff = await startBff();
    expect(await (await fetch(`${bff.origin}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${bff.origin}/readyz`)).json()).toEqual({
      status: 'ready',
      database: 'ok',
      state: 'ok',
    });
    await bff.db.destroy();
    const down = await fetch(`${bff.origin}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 'NOT_READY', database: 'down', state: 'ok' } });
  });

  it('the demo SMS inbox does not exist outside demo mode', async () => {
    const bff = await startBff();
    expect((await fetch(`${bff.origin}/api/dev/sms-inbox?phone=13800138000`)).status).toBe(404);
  });
});

describe('forwarded headers', () => {
  const authorizeFrom = (bff: Bff, ip: string) =>
    fetch(`${bff.origin}/api/auth/wechat/authorize`, { redirect: 'manual', headers: { 'x-forwarded-for': ip } });

  it('are believed from a trusted proxy: each client has its own limit', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const statuses = [];
    for (let i = 0; i < 61; i++) statuses.push((await authorizeFrom(bff, `198.18.0.${i}`)).status);
    expect(statuses.every((s) => s === 302)).toBe(true);
    const one = [];
    for (let i = 0; i < 61; i++) one.push((await authorizeFrom(bff, '198.18.1.1')).status);
    expect(one.at(-1)).toBe(429);
  });

  // An IPv6 client holds a whole /64 and may take any address in it: each address must not bring a
  // fresh budget (a load balancer that passes IPv6 clients through, X-Forwarded-For from a trusted proxy).
  it('from a trusted proxy, an IPv6 client is counted by its /64, however its address is written', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const statuses = [];
    for (let i = 0; i < 60; i++)
      statuses.push((await authorizeFrom(bff, `2001:db8:0:1::${(i + 1).toString(16)}`)).status);
    expect(statuses.every((s) => s === 302)).toBe(true);
    for (const ip of ['2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:0DB8:0000:0001::1', '2001:db8:0:1::1%eth0'])
      expect((await authorizeFrom(bff, ip)).status, ip).toBe(429);
    expect((await authorizeFrom(bff, '2001:db8:0:2::1')).status).toBe(302);
    expect((await authorizeFrom(bff, 'not-an-address')).status).toBe(302);
  });

  it('from a trusted proxy, an IPv4-mapped IPv6 address is its IPv4 client', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const statuses = [];
    for (let i = 0; i < 60; i++)
      statuses.push((await authorizeFrom(bff, i % 2 ? '198.18.2.1' : '::ffff:198.18.2.1')).status);
    expect(statuses.every((s) => s === 302)).toBe(true);
    expect((await authorizeFrom(bff, '198.18.2.1')).status).toBe(429);
    expect((await authorizeFrom(bff, '198.18.2.2')).status).toBe(302);
  });

  it('are ignored from anyone else: a client cannot pick its own IP', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: '10.0.0.5' } });
    const statuses = [];
    for (let i = 0; i < 61; i++) statuses.push((await authorizeFrom(bff, `198.18.0.${i}`)).status);
    expect(statuses.slice(0, 60).every((s) => s === 302)).toBe(true);
    expect(statuses[60]).toBe(429);
  });
});

describe('the demo web server', () => {
  it('serves files, the SPA fallback, and never shadows the API or escapes its folder', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'wxauth-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<html>app</html>');
    writeFileSync(join(root, 'assets', 'a-1.js'), 'js');
    writeFileSync(join(root, 'MP_verify_T0k3n.txt'), 'T0k3n');
    writeFileSync(join(tmpdir(), 'outside.txt'), 'secret');
    const bff = await startBff({ webRoot: root });
    const get = (p: string) => fetch(bff.origin + p);
    const verify = await get('/MP_verify_T0k3n.txt');
    expect(verify.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await verify.text()).toBe('T0k3n');
    expect((await get('/assets/a-1.js')).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await (await get('/auth')).text()).toBe('<html>app</html>');
    expect(await (await get('/%2e%2e/outside.txt')).text()).toBe('<html>app</html>');
    expect((await get('/api/session')).status).toBe(401);
    expect((await get('/api/nope')).status).toBe(404);
    // The BFF's own operational endpoints stay the BFF's.
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await (await get('/readyz')).json()) as object).toMatchObject({ status: 'ready' });
    expect(await (await get('/metrics')).text()).toContain('wxauth_http_requests_total');
    // A malformed escape is the visitor's mistake: the app, never a 5xx.
    const broken = await get('/%E0%A4%A');
    expect([broken.status, await broken.text()]).toEqual([200, '<html>app</html>']);
  });
});
