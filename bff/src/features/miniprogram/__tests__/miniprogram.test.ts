import { MpSignedIn } from '@wxauth/contract';
import { decodeJwt } from 'jose';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN, MINIPROGRAM, startBff, type Bff, type TestOptions } from '../../../__tests__/harness.js';
import { newSigningKey } from '../../site/tokens.js';
import { PHONE_TRIES_PER_HOUR } from '../miniProgram.js';

/**
 * A mini program as the BFF sees it: WeChat's client (wx.login, the getPhoneNumber button) is the
 * simulator's stand-in (/__sim/mp/*); everything else is plain HTTP with `Authorization: Bearer`.
 */
class MiniProgram {
  token: string | undefined;

  constructor(
    readonly bff: Bff,
    readonly user: string,
  ) {}

  private async sim(path: string, body: object): Promise<Record<string, string>> {
    const res = await fetch(this.bff.simOrigin + path, {
      method: 'POST',
      body: JSON.stringify({ appid: MINIPROGRAM.appid, user: this.user, ...body }),
    });
    return (await res.json()) as Record<string, string>;
  }

  /** What wx.login gives this user. */
  wxLogin = async () => (await this.sim('/__sim/mp/login', {})).code!;
  /** What the getPhoneNumber button gives this user (`phone`: their WeChat account's number). */
  phoneCode = async (phone?: string, countryCode?: string) =>
    (await this.sim('/__sim/mp/phone-code', phone ? { phone, ...(countryCode && { countryCode }) } : {})).code!;

  /** wx.request to the BFF: JSON, with the bearer token when it holds one; a new token in an answer is kept. */
  async request(path: string, init: { method?: string; json?: unknown; token?: string | null } = {}) {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? this.token : init.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.bff.origin + path, {
      method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    if (typeof body?.token === 'string') {
      this.token = body.token;
      this.bff.secrets.add(body.token);
    }
    return { status: res.status, body, headers: res.headers };
  }

  post = (path: string, json: unknown = {}) => this.request(path, { json });

  async login(code?: string) {
    return this.post('/api/mp/login', { code: code ?? (await this.wxLogin()) });
  }

  async bindByPhone(phone?: string) {
    return this.post('/api/mp/phone', { code: await this.phoneCode(phone) });
  }
}

/**
 * An answer exactly as the contract types it for `@wxauth/client`'s apps: every key the schema names, and
 * no other (a key the BFF sends beyond the type is one the apps cannot see, or should not rely on).
 */
const exactly = <S extends v.ObjectSchema<v.ObjectEntries, undefined>>(schema: S, body: unknown) =>
  v.parse(v.strictObject(schema.entries), body);

const errorOf = (r: { body?: Record<string, unknown> }) => (r.body?.error as { code: string } | undefined)?.code;

async function signedUp(bff: Bff, user: string, phone: string): Promise<MiniProgram> {
  const mp = new MiniProgram(bff, user);
  expect((await mp.login()).body).toMatchObject({ next: 'bind' });
  expect((await mp.bindByPhone(phone)).body).toMatchObject({ next: 'home' });
  return mp;
}

/** Every test on SQLite (state in process) and on the run's real MariaDB and Redis. */
const BACKENDS: Array<[string, TestOptions]> = [
  ['SQLite', {}],
  ['MariaDB and Redis', { mysql: true, redis: true }],
];

describe.each(BACKENDS)('the mini-program journey (%s)', (_name, options) => {
  it('new user: wx.login → bind by WeChat phone → home; a returning user goes home at once', async () => {
    const bff = await startBff(options);
    const mp = new MiniProgram(bff, 'amy');
    const login = await mp.login();
    expect(login.status).toBe(200);
    // The session_key never leaves the server (the harness also checks no log line holds one).
    expect(Object.keys(login.body!).sort()).toEqual(['next', 'token']);
    expect(exactly(MpSignedIn, login.body)).toMatchObject({ next: 'bind' });
    expect((await mp.request('/api/session')).body).toMatchObject({ bound: false, unionid: true });

    const first = mp.token;
    const bound = await mp.bindByPhone('13912340001');
    expect(bound.status).toBe(200);
    // As the login's answer: where to go, and the new token; no returnTo (a mini program never leaves
    // its own pages, so the BFF keeps no H5 path for it to go back to: the guide's "answers" row).
    expect(exactly(MpSignedIn, bound.body)).toMatchObject({ next: 'home' });
    // Binding raises what the session may do: a new token, and the old one is void.
    expect(mp.token).not.toBe(first);
    expect((await mp.request('/api/session', { token: first })).status).toBe(401);
    expect((await mp.request('/api/session')).body).toMatchObject({ bound: true, user: { phone: '139****0001' } });

    // The binding is the SMS binding's: the customer with that phone, one identity of the mini program.
    const identity = await bff.db
      .selectFrom('wechat_identities')
      .selectAll()
      .where('appid', '=', MINIPROGRAM.appid)
      .executeTakeFirstOrThrow();
    expect(identity.openid).toBe(bff.sim.openidOf(MINIPROGRAM.appid, 'amy'));
    const customer = await bff.db.selectFrom('customers').selectAll().executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ id: identity.customer_id, phone: '13912340001' });

    // Next launch: a new wx.login; the token held is ended and a new one given (rotation on login).
    const held = mp.token;
    expect((await mp.login()).body).toMatchObject({ next: 'home' });
    expect(mp.token).not.toBe(held);
    expect((await mp.request('/api/session', { token: held })).status).toBe(401);
    expect((await mp.request('/api/session')).status).toBe(200);

    // The login funnel (the alerts' and the dashboard's): no authorize step (wx.login is the client's),
    // two codes, two logins; bound by the phone, then at once.
    const metrics = await (await fetch(`${bff.origin}/metrics`)).text();
    for (const step of ['callback', 'login', 'bound'])
      expect(metrics).toContain(`wxauth_login_funnel_total{step="${step}",flow="mp"} 2`);
    expect(metrics).not.toContain('step="authorize",flow="mp"');
  });

  it('one customer across H5 and the mini program, whichever comes first (unionid)', async () => {
    const bff = await startBff(options);
    // H5 first (snsapi_userinfo gives the unionid), then the mini program.
    const browser = bff.browser();
    await browser.login({ user: 'ben', scope: 'snsapi_userinfo' });
    await browser.bind('13912340002', bff.inbox);
    const mp = new MiniProgram(bff, 'ben');
    expect((await mp.login()).body).toMatchObject({ next: 'home' });
    expect((await mp.request('/api/session')).body).toMatchObject({ bound: true, user: { phone: '139****0002' } });

    // The mini program first, then H5.
    await signedUp(bff, 'cat', '13912340003');
    const h5 = bff.browser();
    expect(await (await h5.login({ user: 'cat', scope: 'snsapi_userinfo' })).json()).toMatchObject({ next: 'home' });

    expect(await bff.db.selectFrom('customers').select('phone').orderBy('phone').execute()).toEqual([
      { phone: '13912340002' },
      { phone: '13912340003' },
    ]);
    // forward-auth names the same customer for both.
    const user = async (headers: Record<string, string>) =>
      (await fetch(`${bff.origin}/internal/forward-auth/bound`, { headers })).headers.get('x-auth-request-user');
    const catMp = await user({ authorization: `Bearer ${(await signedIn(bff, 'cat')).token}` });
    const catH5 = await user({ cookie: [...h5.cookies].map(([k, v]) => `${k}=${v}`).join('; ') });
    expect(catMp).toBeTruthy();
    expect(catMp).toBe(catH5);
  });
});

async function signedIn(bff: Bff, user: string): Promise<MiniProgram> {
  const mp = new MiniProgram(bff, user);
  await mp.login();
  return mp;
}

describe.each(BACKENDS)('bearer sessions (%s)', (_name, options) => {
  it('are never taken from a cookie, and a cookie session never as a bearer', async () => {
    const bff = await startBff(options);
    const mp = await signedUp(bff, 'dan', '13912340004');
    const browser = bff.browser();
    await browser.loginAndBind('eve', '13912340005', bff.inbox);
    const [cookieName, cookieId] = [...browser.cookies].find(([k]) => k.endsWith('wxauth_sid'))!;

    // The bearer token in the session cookie: nobody.
    const asCookie = { cookie: `${cookieName}=${mp.token}` };
    expect((await fetch(`${bff.origin}/api/session`, { headers: asCookie })).status).toBe(401);
    expect((await fetch(`${bff.origin}/internal/forward-auth/session`, { headers: asCookie })).status).toBe(401);
    const postAsCookie = (path: string, json: unknown) =>
      fetch(`${bff.origin}${path}`, {
        method: 'POST',
        headers: { ...asCookie, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    expect((await postAsCookie('/api/account/unbind', {})).status).toBe(401);
    expect((await postAsCookie('/api/sms/send', { phone: '13912340099' })).status).toBe(401);
    expect((await postAsCookie('/api/mp/phone', { code: 'x' })).status).toBe(401);
    // The cookie's id as a bearer token: nobody either.
    expect((await mp.request('/api/session', { token: cookieId })).status).toBe(401);
    expect((await mp.request('/internal/forward-auth/session', { token: cookieId })).status).toBe(401);
    expect((await mp.request('/api/mp/phone', { json: { code: 'x' }, token: cookieId })).status).toBe(401);
    expect((await mp.request('/api/account/unbind', { json: {}, token: cookieId })).status).toBe(401);
    expect((await mp.request('/api/sms/send', { json: { phone: '13912340098' }, token: cookieId })).status).toBe(401);
    // A logout with the wrong kind ends nothing.
    await fetch(`${bff.origin}/api/auth/logout`, { method: 'POST', headers: asCookie });
    await mp.request('/api/auth/logout', { json: {}, token: cookieId });
    expect((await mp.request('/api/session')).status).toBe(200);
    expect((await browser.request('/api/session')).status).toBe(200);
    // A request with a bearer token is judged by it alone, whatever cookie it also carries.
    const both = { authorization: `Bearer ${mp.token}`, cookie: `${cookieName}=${cookieId}` };
    const who = await (await fetch(`${bff.origin}/api/session`, { headers: both })).json();
    expect(who).toMatchObject({ user: { phone: '139****0004' } });
  });

  it('rotate: the token held before a login, and before a binding, is dead afterwards', async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'rex');
    const first = mp.token!;
    await mp.login();
    expect(mp.token).not.toBe(first);
    expect((await mp.request('/api/session', { token: first })).status).toBe(401);
    const beforeBinding = mp.token!;
    expect((await mp.bindByPhone('13912340021')).body).toMatchObject({ next: 'home' });
    expect(mp.token).not.toBe(beforeBinding);
    expect((await mp.request('/api/session', { token: beforeBinding })).status).toBe(401);
    expect((await mp.request('/api/session')).status).toBe(200);
  });

  it('a browser page cannot send a bearer token: a cross-origin request with Authorization is refused', async () => {
    // The only way a page adds Authorization is fetch() with the header, which needs a CORS preflight
    // the BFF never grants; a POST that claims another origin is refused before any route.
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'sam');
    const preflight = await fetch(`${bff.origin}/api/session`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example.com',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    const posted = await fetch(`${bff.origin}/api/auth/logout`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${mp.token}`,
        origin: 'https://evil.example.com',
        'sec-fetch-site': 'same-site',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(posted.status).toBe(403);
    expect((await mp.request('/api/session')).status).toBe(200);
  });

  // Redis keeps its own time for a key's life (the idle timeout): the test's clock cannot move it.
  it.runIf(!options.redis)('idle and absolute life, as the cookie session', async () => {
    const bff = await startBff(options);
    const { idleMs, absoluteMs } = bff.config.session;
    const idle = await signedIn(bff, 'fay');
    bff.advance(idleMs + 1);
    expect((await idle.request('/api/session')).status).toBe(401);

    const busy = await signedIn(bff, 'gus');
    for (let t = 0; t + idleMs / 2 < absoluteMs; t += idleMs / 2) {
      bff.advance(idleMs / 2);
      expect((await busy.request('/api/session')).status).toBe(200);
    }
    bff.advance(idleMs / 2);
    expect((await busy.request('/api/session')).status).toBe(401);
  });

  it('logout, unbind and the host revoking end it', async () => {
    const bff = await startBff(options);
    const out = await signedUp(bff, 'hal', '13912340006');
    expect((await out.post('/api/auth/logout')).status).toBe(204);
    expect((await out.request('/api/session')).status).toBe(401);

    const unbinding = await signedUp(bff, 'ivy', '13912340007');
    expect((await unbinding.post('/api/account/unbind')).status).toBe(204);
    expect((await unbinding.request('/api/session')).status).toBe(401);
    expect((await unbinding.login()).body).toMatchObject({ next: 'bind' });

    const revoked = await signedUp(bff, 'jay', '13912340008');
    const forward = () => revoked.request('/internal/forward-auth/bound');
    expect((await forward()).status).toBe(204);
    const { customer_id } = await bff.db
      .selectFrom('wechat_identities')
      .select('customer_id')
      .where('openid', '=', bff.sim.openidOf(MINIPROGRAM.appid, 'jay'))
      .executeTakeFirstOrThrow();
    const ref = (await bff.store.customerById(customer_id!))!.ref;
    bff.advance(1);
    const res = await fetch(`${bff.origin}/internal/customers/${ref}/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    expect(res.status).toBe(204);
    expect((await forward()).status).toBe(401);
    expect((await revoked.request('/api/session')).status).toBe(401);
  });

  it('forward-auth and identity tokens name the mini program identity', async () => {
    const bff = await startBff({ ...options, tokenKeys: { keys: [await newSigningKey('k1')] } });
    const mp = await signedIn(bff, 'kim');
    const unbound = await mp.request('/internal/forward-auth/session');
    expect(unbound.status).toBe(204);
    expect(unbound.headers.get('x-auth-request-appid')).toBe(MINIPROGRAM.appid);
    expect(unbound.headers.get('x-auth-request-bound')).toBe('false');
    expect((await mp.request('/internal/forward-auth/bound')).status).toBe(401);
    expect(errorOf(await mp.request('/api/auth/token'))).toBe('NOT_BOUND');

    expect((await mp.bindByPhone('13912340009')).status).toBe(200);
    const bound = await mp.request('/internal/forward-auth/bound');
    expect(bound.headers.get('x-auth-request-phone')).toBe('13912340009');
    expect(bound.headers.get('x-auth-request-openid')).toBe(bff.sim.openidOf(MINIPROGRAM.appid, 'kim'));
    const { token } = (await mp.request('/api/auth/token')).body as { token: string };
    expect(decodeJwt(token)).toMatchObject({
      appid: MINIPROGRAM.appid,
      openid: bff.sim.openidOf(MINIPROGRAM.appid, 'kim'),
    });
  });

  it('binds by SMS code too, and the new token comes in the answer', async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'lee');
    const before = mp.token;
    expect((await mp.post('/api/sms/send', { phone: '13912340010' })).status).toBe(200);
    const bound = await mp.post('/api/account/bind', { phone: '13912340010', smsCode: bff.inbox.get('13912340010') });
    expect(bound.body).toMatchObject({ next: 'home', token: expect.any(String) });
    expect(mp.token).not.toBe(before);
    expect((await mp.request('/api/session')).body).toMatchObject({ bound: true });
  });
});

describe.each(BACKENDS)('the phone number by WeChat (%s)', (_name, options) => {
  it('tells your system as an SMS binding does: wechat.bound, method wechat_phone, with the phone', async () => {
    const bff = await startBff({
      ...options,
      env: { EVENTS_WEBHOOK_URL: 'http://127.0.0.1:9/events', HOST_SIGNING_SECRET: 'h'.repeat(40) },
    });
    const mp = await signedUp(bff, 'nia', '13912340014');
    const rows = await bff.db.selectFrom('events_outbox').select('payload').execute();
    const events = rows.map((r) => JSON.parse(String(r.payload)) as { type: string; data: object });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'wechat.bound',
        data: expect.objectContaining({
          appid: MINIPROGRAM.appid,
          openid: bff.sim.openidOf(MINIPROGRAM.appid, 'nia'),
          method: 'wechat_phone',
          phone: '13912340014',
        }),
      }),
    );
    expect(mp.token).toBeTruthy();
  });

  it('is refused to a session that is no mini program one, and once bound', async () => {
    const bff = await startBff(options);
    const mp = await signedUp(bff, 'max', '13912340011');
    expect(errorOf(await mp.bindByPhone())).toBe('ALREADY_BOUND');
    expect((await mp.request('/api/mp/phone', { json: { code: 'x' }, token: null })).status).toBe(401);
  });

  it('maps getPhoneNumber failures to clear codes; busy is asked again once', async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'ned');
    const phone = '/wxa/business/getuserphonenumber';
    expect(errorOf(await mp.post('/api/mp/phone', {}))).toBe('PHONE_CODE_INVALID');
    expect(errorOf(await mp.post('/api/mp/phone', { code: 'madeUpCode' }))).toBe('PHONE_CODE_INVALID');
    await bff.fault({ path: phone, errcode: 40013 });
    expect(errorOf(await mp.bindByPhone())).toBe('PHONE_CODE_INVALID');
    await bff.fault({ path: phone, errcode: 45011 });
    expect(await mp.bindByPhone()).toMatchObject({ status: 429, body: { error: { code: 'WECHAT_RATE_LIMITED' } } });
    await bff.fault({ path: phone, errcode: -1, times: 2 });
    expect(await mp.bindByPhone()).toMatchObject({ status: 503, body: { error: { code: 'WECHAT_BUSY' } } });
    await bff.fault({ path: phone, errcode: -1, times: 1 });
    expect((await mp.bindByPhone('13912340012')).body).toMatchObject({ next: 'home' });
    expect((await bff.simStats())[phone]).toBe(7);
  });

  it('a number outside the mainland is not bound: SMS instead', async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'hugo');
    const code = await mp.phoneCode('51234567', '852');
    expect(await mp.post('/api/mp/phone', { code })).toMatchObject({
      status: 400,
      body: { error: { code: 'PHONE_COUNTRY_UNSUPPORTED' } },
    });
    // Digits that would pass for a mainland mobile, under another country's code: still not one.
    const lookalike = await mp.phoneCode('13812345678', '1');
    expect(await mp.post('/api/mp/phone', { code: lookalike })).toMatchObject({
      status: 400,
      body: { error: { code: 'PHONE_COUNTRY_UNSUPPORTED' } },
    });
    expect((await mp.request('/api/session')).body).toMatchObject({ bound: false });
  });

  it("takes a code once, and only the user's own", async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'ola');
    const other = await signedIn(bff, 'pat');
    const code = await mp.phoneCode('13912340013');
    expect(errorOf(await other.post('/api/mp/phone', { code }))).toBe('PHONE_CODE_INVALID');
    expect((await mp.post('/api/mp/phone', { code })).status).toBe(200);
    expect((await mp.post('/api/account/unbind')).status).toBe(204);
    bff.advance(1);
    await mp.login();
    expect(errorOf(await mp.post('/api/mp/phone', { code }))).toBe('PHONE_CODE_INVALID');
  });

  it("renews the mini program's global token WeChat no longer takes (40001), and asks again", async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'quin');
    await bff.fault({ path: '/wxa/business/getuserphonenumber', errcode: 40001 });
    expect((await mp.bindByPhone()).status).toBe(200);
    expect((await bff.simStats())['/cgi-bin/stable_token']).toBe(2);
  });

  // Redis counts the hour in its own time: the test's clock cannot move it.
  it.runIf(!options.redis)(
    `allows ${PHONE_TRIES_PER_HOUR} calls an hour per identity (WeChat bills each)`,
    async () => {
      const bff = await startBff(options);
      const mp = await signedIn(bff, 'rex');
      for (let i = 0; i < PHONE_TRIES_PER_HOUR; i++)
        expect(errorOf(await mp.post('/api/mp/phone', { code: `wrong${i}` }))).toBe('PHONE_CODE_INVALID');
      expect(await mp.bindByPhone()).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
      // Logging in again resets nothing: the budget is the identity's.
      await mp.login();
      expect((await mp.bindByPhone()).status).toBe(429);
      bff.advance(3600_000);
      expect((await mp.bindByPhone()).status).toBe(200);
    },
  );
});

describe.each(BACKENDS)("POST /api/mp/login: WeChat's errors as clear codes (%s)", (_name, options) => {
  it('40029, 40163, 40226, 45011, a missing code', async () => {
    const bff = await startBff(options);
    const mp = new MiniProgram(bff, 'sam');
    expect(await mp.login('madeUpCode')).toMatchObject({ status: 400, body: { error: { code: 'CODE_INVALID' } } });
    const code = await mp.wxLogin();
    expect((await mp.login(code)).status).toBe(200);
    expect(await mp.login(code)).toMatchObject({ status: 400, body: { error: { code: 'CODE_USED' } } });
    const risky = new MiniProgram(bff, 'risky-tom');
    expect(await risky.login()).toMatchObject({ status: 403, body: { error: { code: 'WECHAT_RISKY_USER' } } });
    await bff.fault({ path: '/sns/jscode2session', errcode: 45011 });
    expect(await mp.login()).toMatchObject({ status: 429, body: { error: { code: 'WECHAT_RATE_LIMITED' } } });
    expect(errorOf(await mp.post('/api/mp/login', {}))).toBe('CODE_MISSING');
  });

  it('-1 (busy): asked again once, then WECHAT_BUSY', async () => {
    const bff = await startBff(options);
    const mp = new MiniProgram(bff, 'uma');
    await bff.fault({ path: '/sns/jscode2session', errcode: -1 });
    expect((await mp.login()).body).toMatchObject({ next: 'bind' });
    expect((await bff.simStats())['/sns/jscode2session']).toBe(2);
    await bff.fault({ path: '/sns/jscode2session', errcode: -1, times: 2 });
    expect(await mp.login()).toMatchObject({ status: 503, body: { error: { code: 'WECHAT_BUSY' } } });
  });

  it('a unionid bound to two customers is a conflict: no merge, the user binds', async () => {
    const bff = await startBff(options);
    const mp = await signedIn(bff, 'val');
    const { unionid } = await bff.db
      .selectFrom('wechat_identities')
      .select('unionid')
      .where('appid', '=', MINIPROGRAM.appid)
      .executeTakeFirstOrThrow();
    const t = Date.now();
    for (const [n, appid] of [
      [1, 'wxaaaaaaaaaaaaaaaa'],
      [2, 'wxbbbbbbbbbbbbbbbb'],
    ] as const) {
      const { insertId } = await bff.db
        .insertInto('customers')
        .values({ ref: `c${n}`, phone: `1360013600${n}`, display_name: null, created_at: t, updated_at: t })
        .executeTakeFirstOrThrow();
      const id = Number(insertId);
      await bff.db
        .insertInto('wechat_identities')
        .values({ appid, openid: `o${n}`, unionid, customer_id: id, created_at: t, updated_at: t })
        .execute();
    }
    expect((await mp.login()).body).toMatchObject({ next: 'bind' });
    expect(bff.logs.join('')).toContain('unionid is bound to more than one customer');
  });

  it('is off without WX_MINIPROGRAM_APPID', async () => {
    const bff = await startBff({ ...options, env: { WX_MINIPROGRAM_APPID: '', WX_MINIPROGRAM_APPSECRET: '' } });
    expect((await new MiniProgram(bff, 'wes').login('code')).status).toBe(404);
  });
});
