import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, importJWK, errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { unavailable } from '../../../platform/errors.js';
import { newSigningKey } from '../tokens.js';
import {
  INTERNAL_TOKEN,
  SESSION_SECRET,
  startBff,
  TOKEN_AUDIENCE,
  type Bff,
  type Browser,
} from '../../../__tests__/harness.js';

const PUBLIC_URL = 'https://h5.example.com';
const MINUTE = 60_000;
const check = (
  bff: Bff,
  browser: Browser | null,
  require?: 'session' | 'bound',
  headers: Record<string, string> = {},
) => (browser ?? bff.browser()).request(`/internal/forward-auth/${require ?? 'session'}`, { headers });
const identityHeaders = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('x-auth-request-')));

async function bound(bff: Bff, user = 'alice', phone = '13800138000'): Promise<Browser> {
  const browser = bff.browser();
  await browser.loginAndBind(user, phone, bff.inbox);
  return browser;
}

describe('forward-auth for nginx auth_request', () => {
  it('a session kept from before customer ids were strings still names its customer, as text', async () => {
    const bff = await startBff({ tokenKeys: { keys: [await newSigningKey('k1')] } });
    const browser = await bound(bff);
    expect((await check(bff, browser, 'bound')).status).toBe(204);
    // As a session written by a previous version sits in Redis: filed under the HMAC of its id alone,
    // its snapshot's customer id a number.
    const { createHmac } = await import('node:crypto');
    const sessionId = [...browser.cookies].find(([name]) => name.endsWith('wxauth_sid'))![1];
    const hmac = createHmac('sha256', SESSION_SECRET).update(sessionId).digest('base64url');
    const made = Buffer.from(sessionId.slice(0, 8), 'base64url').readUIntBE(0, 6);
    const key = `sess:${made.toString(36).padStart(9, '0')}.${hmac}`;
    const record = (await bff.kv.get<{ signedIn: { customerId: unknown } }>(key))!;
    await bff.kv.del(key);
    await bff.kv.set(`sess:${hmac}`, { ...record, signedIn: { ...record.signedIn, customerId: 1 } }, 60_000);
    expect((await check(bff, browser, 'bound')).headers.get('x-auth-request-user')).toBe('1');
    const token = await browser.request('/api/auth/token');
    expect(token.status).toBe(200);
    expect(decodeJwt(((await token.json()) as { token: string }).token).sub).toBe('1');
  });

  it('a bound user: 204 with the customer, the WeChat identity, and the phone in full and masked', async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    const res = await check(bff, browser, 'bound');
    expect(res.status).toBe(204);
    const customer = await bff.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    const identity = await bff.db.selectFrom('wechat_identities').selectAll().executeTakeFirstOrThrow();
    expect(identityHeaders(res)).toEqual({
      'x-auth-request-user': String(customer.id),
      'x-auth-request-bound': 'true',
      'x-auth-request-appid': identity.appid,
      'x-auth-request-openid': identity.openid,
      'x-auth-request-phone': '13800138000',
      'x-auth-request-phone-masked': '138****8000',
    });
  });

  it('an unbound user passes a location that asks only for a session, never one that asks for a binding', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.login({ user: 'alice' });
    const any = await check(bff, browser, 'session');
    expect(any.status).toBe(204);
    expect(identityHeaders(any)).toMatchObject({ 'x-auth-request-bound': 'false' });
    expect(identityHeaders(any)).not.toHaveProperty('x-auth-request-user');
    expect((await check(bff, browser, 'bound')).status).toBe(401);
  });

  it.each([
    ['no cookie', {}],
    ['a malformed cookie', { cookie: 'wxauth_sid=%%%; __Host-wxauth_sid=x' }],
    ['an unknown session id', { cookie: `__Host-wxauth_sid=${'A'.repeat(43)}` }],
    ['forged identity headers', { 'x-auth-request-user': '1', 'x-auth-request-bound': 'true' }],
  ])('%s: 401, never a 5xx, never the forged identity', async (_, headers) => {
    const bff = await startBff();
    const res = await fetch(`${bff.origin}/internal/forward-auth/session`, { headers });
    expect(res.status).toBe(401);
    expect(identityHeaders(res)).toEqual({});
  });

  it('a location asks for a session or a binding, nothing else', async () => {
    const bff = await startBff();
    expect((await fetch(`${bff.origin}/internal/forward-auth/admin`)).status).toBe(404);
    expect((await fetch(`${bff.origin}/internal/forward-auth`)).status).toBe(404);
  });

  it('logs a passed check below info level (nginx logs the request it guards), a refused one as usual', async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    await check(bff, browser, 'bound');
    await check(bff, bff.browser(), 'bound');
    const lines = bff.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string; path?: string; status?: number })
      .filter((l) => l.msg === 'request' && l.path?.startsWith('/internal/forward-auth/'));
    expect(lines.map((l) => [l.status, l.level])).toEqual([
      [204, 20],
      [401, 30],
    ]);
  });

  it('asks the database once per session: later checks need neither the identity nor the customer', async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    expect((await check(bff, browser, 'bound')).status).toBe(204);
    const down = () => Promise.reject(new Error('the check path must not query the store'));
    Object.assign(bff.store, { identityById: down, customerById: down });
    for (let i = 0; i < 3; i++) expect((await check(bff, browser, 'bound')).status).toBe(204);
  });

  it('counts as activity: a user busy on the site is not signed out by the idle timeout', async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    for (let i = 0; i < 3; i++) {
      bff.advance(100 * MINUTE);
      expect((await check(bff, browser, 'bound')).status).toBe(204);
    }
    bff.advance(121 * MINUTE);
    expect((await check(bff, browser, 'bound')).status).toBe(401);
  });

  it("the host system's revoke: the next check is refused, in every browser of the customer", async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    expect((await check(bff, browser, 'bound')).status).toBe(204);
    const customer = await bff.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    const revoke = await fetch(`${bff.origin}/internal/customers/${customer.id}/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    expect(revoke.status).toBe(204);
    expect((await check(bff, browser, 'bound')).status).toBe(401);
    expect((await check(bff, browser, 'session')).status).toBe(401);
  });

  it('unbinding in one browser ends the binding in the others', async () => {
    const bff = await startBff();
    const first = await bound(bff);
    expect((await check(bff, first, 'bound')).status).toBe(204);
    const second = bff.browser();
    await second.login({ user: 'alice' });
    expect((await second.post('/api/account/unbind')).status).toBe(204);
    expect((await check(bff, first, 'bound')).status).toBe(401);
  });

  it('a phone moved to another WeChat takes the binding from the first one', async () => {
    const bff = await startBff();
    const alice = await bound(bff, 'alice');
    expect((await check(bff, alice, 'bound')).status).toBe(204);
    bff.advance(MINUTE); // one SMS a minute to a phone
    await bound(bff, 'bob');
    expect((await check(bff, alice, 'bound')).status).toBe(401);
  });
});

describe('where nginx sends a request that failed forward-auth', () => {
  it('a page load goes through /auth and back to where it was going, query included; a program gets 401 JSON', async () => {
    const bff = await startBff();
    const page = await fetch(`${bff.origin}/internal/sign-in`, {
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml', 'x-original-uri': '/orders/7?tab=paid&x=%2F' },
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/auth?returnTo=${encodeURIComponent('/orders/7?tab=paid&x=%2F')}`);
    const api = await fetch(`${bff.origin}/internal/sign-in`, {
      headers: { accept: 'application/json', 'x-original-uri': '/api/orders' },
    });
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'SESSION_REQUIRED',
    ]);
  });

  it.each(['//evil.example/x', '/.//evil.example/x', 'https://evil.example/', '/\\evil.example'])(
    'an original address %s never leads off the site',
    async (uri) => {
      const bff = await startBff();
      const res = await fetch(`${bff.origin}/internal/sign-in`, {
        redirect: 'manual',
        headers: { accept: 'text/html', 'x-original-uri': uri },
      });
      expect(res.headers.get('location')).toBe('/auth?returnTo=%2F');
    },
  );
});

describe('deep links', () => {
  const WECHAT_UA = 'Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 MicroMessenger/8.0.50 NetType/WIFI';

  it("inside WeChat with no session: straight to WeChat's authorize, with returnTo the page asked for", async () => {
    const bff = await startBff();
    const res = await fetch(`${bff.origin}/internal/deep-link`, {
      redirect: 'manual',
      headers: { 'user-agent': WECHAT_UA, 'x-original-uri': '/orders/7?tab=paid' },
    });
    expect(res.status).toBe(302);
    const wechat = new URL(res.headers.get('location')!.replace(/#wechat_redirect$/, ''));
    expect(wechat.pathname).toBe('/connect/oauth2/authorize');
    expect(wechat.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth`);
    const flow = await bff.kv.get<{ returnTo: string }>(`state:${wechat.searchParams.get('state')}`);
    expect(flow?.returnTo).toBe('/orders/7?tab=paid');
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-wxauth_b='))).toBe(true);
  });

  it('a profile page asks for snsapi_userinfo at once, as the app would', async () => {
    const bff = await startBff();
    const res = await fetch(`${bff.origin}/internal/deep-link`, {
      redirect: 'manual',
      headers: { 'user-agent': WECHAT_UA, 'x-original-uri': '/profile?from=share' },
    });
    expect(res.headers.get('location')).toContain('&scope=snsapi_userinfo&');
  });

  it('refused at WeChat, 重新登录 asks the same flow again: the BFF keeps what the deep link asked, for this browser only', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const deep = await browser.request('/internal/deep-link', {
      headers: { 'user-agent': WECHAT_UA, 'x-original-uri': '/profile?from=share' },
    });
    const refused = new URL(deep.headers.get('location')!.replace(/#.*$/, '')).searchParams.get('state')!;
    // The page knows only the state WeChat sent back; it asks with its own defaults.
    const again = (b: Browser) =>
      b.request(`/api/auth/wechat/authorize?scope=snsapi_base&returnTo=%2F&again=${refused}`);
    const stranger = await again(bff.browser());
    const strangerState = new URL(stranger.headers.get('location')!.replace(/#.*$/, '')).searchParams.get('state');
    expect(await bff.kv.get(`state:${strangerState}`)).toMatchObject({ scope: 'snsapi_base', returnTo: '/' });
    const res = await again(browser);
    const wechat = new URL(res.headers.get('location')!.replace(/#.*$/, ''));
    expect(wechat.searchParams.get('scope')).toBe('snsapi_userinfo');
    expect(await bff.kv.get(`state:${wechat.searchParams.get('state')}`)).toMatchObject({
      returnTo: '/profile?from=share',
    });
    // The refused state starts one flow, no more.
    expect(await bff.kv.get(`state:${refused}`)).toBeUndefined();
  });

  it('outside WeChat: the open-in-WeChat page, for the same page', async () => {
    const bff = await startBff();
    const res = await fetch(`${bff.origin}/internal/deep-link`, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 Chrome/130', 'x-original-uri': '/orders/7?tab=paid' },
    });
    expect(res.headers.get('location')).toBe(`/open-in-wechat?returnTo=${encodeURIComponent('/orders/7?tab=paid')}`);
  });
});

describe('identity tokens', () => {
  async function withTokens(keys?: Awaited<ReturnType<typeof newSigningKey>>[]) {
    const bff = await startBff({ tokenKeys: { keys: keys ?? [await newSigningKey('k1')] } });
    const jwks = createRemoteJWKSet(new URL(`${bff.origin}/.well-known/jwks.json`));
    const verify = (token: string, options: { audience?: string; at?: number } = {}) =>
      jwtVerify(token, jwks, {
        issuer: PUBLIC_URL,
        audience: options.audience ?? TOKEN_AUDIENCE,
        currentDate: new Date(options.at ?? bff.now()),
      });
    return { bff, verify };
  }
  const tokenOf = async (browser: Browser) =>
    ((await (await browser.request('/api/auth/token')).json()) as { token: string }).token;

  it('verify as a consumer verifies them, with the remote JWKS: issuer, audience, subject = the customer', async () => {
    const { bff, verify } = await withTokens();
    const browser = await bound(bff);
    const res = await browser.request('/api/auth/token');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { token: string; tokenType: string; expiresIn: number };
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 300 });
    const { payload, protectedHeader } = await verify(body.token);
    const customer = await bff.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'k1' });
    expect(payload).toMatchObject({ iss: PUBLIC_URL, aud: TOKEN_AUDIENCE, sub: String(customer.id) });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload).not.toHaveProperty('phone');
  });

  it('refuses expired, wrong-audience, tampered and unknown-key tokens', async () => {
    const { bff, verify } = await withTokens();
    const token = await tokenOf(await bound(bff));
    await expect(verify(token, { at: bff.now() + 301_000 })).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(verify(token, { audience: 'https://other.example.com' })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    );
    const [h, p, sig] = token.split('.');
    const claims = { ...decodeJwt(token), sub: '999' };
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    await expect(verify(forged)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    expect(p).toBeDefined();
    const stranger = await newSigningKey('k-unknown');
    const unknown = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'ES256', kid: 'k-unknown' })
      .sign(await importJWK(stranger, 'ES256'));
    await expect(verify(unknown)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    // The same kid as ours, another key: the signature fails.
    const impostor = await new SignJWT(decodeJwt(token))
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(await importJWK(stranger, 'ES256'));
    await expect(verify(impostor)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('rotation: the first key signs, every configured key verifies', async () => {
    const [k1, k2] = [await newSigningKey('k1'), await newSigningKey('k2')];
    const before = await withTokens([k1]);
    const old = await tokenOf(await bound(before.bff));
    const after = await withTokens([k2, k1]);
    const fresh = await tokenOf(await bound(after.bff));
    expect(decodeJwt(fresh)).toBeDefined();
    const jwks = (await (await fetch(`${after.bff.origin}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
    for (const k of jwks.keys) expect(k).not.toHaveProperty('d');
    expect((await after.verify(fresh)).protectedHeader.kid).toBe('k2');
    expect((await after.verify(old, { at: before.bff.now() })).protectedHeader.kid).toBe('k1');
  });

  it('needs a bound session: 401 signed out, 409 unbound; 404 where no key is configured', async () => {
    const { bff } = await withTokens();
    expect((await bff.browser().request('/api/auth/token')).status).toBe(401);
    const unbound = bff.browser();
    await unbound.login({ user: 'bob' });
    expect((await unbound.request('/api/auth/token')).status).toBe(409);
    const plain = await startBff();
    expect((await (await bound(plain)).request('/api/auth/token')).status).toBe(404);
    expect((await fetch(`${plain.origin}/.well-known/jwks.json`)).status).toBe(404);
  });
});

describe('a deep link the BFF cannot start', () => {
  it('(the state store down) lands on /auth with the reason, never on raw JSON', async () => {
    const bff = await startBff();
    bff.kv.set = () => Promise.reject(unavailable('state'));
    const res = await fetch(`${bff.origin}/internal/deep-link`, {
      redirect: 'manual',
      headers: { 'user-agent': 'MicroMessenger/8.0', accept: 'text/html', 'x-original-uri': '/orders' },
    });
    expect([res.status, res.headers.get('location')]).toEqual([302, '/auth?error=SERVICE_UNAVAILABLE']);
  });
});
