import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import * as rp from 'openid-client';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERNAL_TOKEN, startBff, type Bff, type Browser } from '../../../__tests__/harness.js';
import { newSigningKey } from '../../site/index.js';
import { parseClients, type ClientEntry } from '../clients.js';
import { hashClientSecret, type OidcSettings } from '../index.js';

const PUBLIC_URL = 'https://h5.example.com';
const ISSUER = `${PUBLIC_URL}/oidc`;
// What the repo's nginx adds in front of the BFF (TRUST_PROXY: the test connects from loopback).
const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'h5.example.com' };
const CRM = {
  id: 'crm',
  secret: 'crm-secret-0123456789abcdef0123456789',
  redirect: 'https://crm.example.com/callback',
  home: 'https://crm.example.com/',
};
const SPA = { id: 'spa', redirect: 'https://spa.example.com/cb' };
const OTHER = {
  id: 'partner',
  secret: 'partner-secret-0123456789abcdef01234',
  redirect: 'https://partner.example.net/cb',
};

/** The client file's entries (as read from OIDC_CLIENTS_FILE), with `extra` clients after ours. */
async function settings(extra: object[] = []): Promise<OidcSettings> {
  const clients = parseClients(
    {
      clients: [
        {
          client_id: CRM.id,
          client_secret_sha256: hashClientSecret(CRM.secret),
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: [CRM.redirect],
          post_logout_redirect_uris: [CRM.home],
          first_party: true,
        },
        { client_id: SPA.id, redirect_uris: [SPA.redirect], first_party: true },
        {
          client_id: OTHER.id,
          client_name: 'Partner 商城',
          client_secret_sha256: hashClientSecret(OTHER.secret),
          redirect_uris: [OTHER.redirect],
        },
        ...extra,
      ],
    },
    true,
  );
  if (typeof clients[0] === 'string') throw new Error(clients.join('\n'));
  return {
    keys: [await newSigningKey('k1'), await newSigningKey('k2')],
    cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
    clients: clients as ClientEntry[],
  };
}

async function start(): Promise<{ bff: Bff; oidc: OidcSettings }> {
  const oidc = await settings();
  const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys } });
  return { bff, oidc };
}

/** The RP's HTTP: PUBLIC_URL is the BFF on loopback behind "nginx" (the forwarded headers). */
const viaNginx =
  (bff: Bff): rp.CustomFetch =>
  (url, options) => {
    const target = new URL(url);
    expect(target.origin).toBe(PUBLIC_URL);
    const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
    for (const [k, v] of Object.entries(FORWARDED)) headers.set(k, v);
    return fetch(bff.origin + target.pathname + target.search, { ...options, headers } as RequestInit);
  };

async function discover(bff: Bff, client: { id: string; secret?: string }, auth?: rp.ClientAuth) {
  const config = await rp.discovery(new URL(ISSUER), client.id, client.secret, auth, {
    [rp.customFetch]: viaNginx(bff),
  });
  config[rp.customFetch] = viaNginx(bff);
  return config;
}

/** The provider's interaction cookies hold the interaction's uid, which its URLs carry anyway (signed by a .sig cookie). */
const UID_COOKIES = ['wxauth_oidc_i', 'wxauth_oidc_r'];

/** The browser's request to a URL of PUBLIC_URL (or a bare path), through "nginx". */
const go = async (browser: Browser, url: string) => {
  const target = new URL(url, PUBLIC_URL);
  expect(target.origin).toBe(PUBLIC_URL);
  const res = await browser.request(target.pathname + target.search, {
    headers: { ...FORWARDED, 'user-agent': userAgents.get(browser) ?? WECHAT_UA },
  });
  for (const name of UID_COOKIES) {
    const uid = browser.cookies.get(name);
    if (uid) secretsOf.get(browser)?.delete(uid);
  }
  return res;
};
const secretsOf = new WeakMap<Browser, Set<string>>();
/** WeChat's browser on a phone, unless a test says otherwise. */
const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.50';
const userAgents = new WeakMap<Browser, string>();
const browserOf = (bff: Bff) => {
  const browser = bff.browser();
  secretsOf.set(browser, bff.secrets);
  return browser;
};

/** The H5 app's consent page, outside /oidc/ (which nginx passes to the BFF). */
const CONSENT_PAGE = '/authorize-app';

/** Follows the BFF's redirects until one leaves PUBLIC_URL or lands on the H5 app's /auth page. */
async function follow(browser: Browser, url: string): Promise<URL> {
  let next = new URL(url, PUBLIC_URL);
  for (let hops = 0; hops < 10; hops++) {
    if (next.origin !== PUBLIC_URL || ['/auth', '/open-in-wechat', CONSENT_PAGE].includes(next.pathname)) return next;
    const res = await go(browser, next.href);
    if (res.status < 300 || res.status >= 400) throw new Error(`${next.pathname}: ${res.status} ${await res.text()}`);
    next = new URL(res.headers.get('location')!, next);
  }
  throw new Error('too many redirects');
}

async function authorize(config: rp.Configuration, scope: string, extra: Record<string, string> = {}) {
  const verifier = rp.randomPKCECodeVerifier();
  const state = rp.randomState();
  const nonce = rp.randomNonce();
  const url = rp.buildAuthorizationUrl(config, {
    redirect_uri: extra.redirect_uri ?? CRM.redirect,
    scope,
    code_challenge: await rp.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** A new WeChat user through the whole code flow: our login page, binding, back to the client. */
async function signIn(bff: Bff, browser: Browser, config: rp.Configuration, scope: string, redirect = CRM.redirect) {
  const req = await authorize(config, scope, { redirect_uri: redirect });
  const toLogin = await follow(browser, req.url.href);
  expect(toLogin.pathname).toBe('/auth');
  const returnTo = toLogin.searchParams.get('returnTo')!;
  expect(returnTo).toMatch(/^\/api\/oidc\/interaction\/[\w-]+$/);
  const login = await browser.login({ user: 'alice', returnTo });
  expect(((await login.json()) as { next: string }).next).toBe('bind');
  expect((await browser.post('/api/sms/send', { phone: '13800138000' })).status).toBe(200);
  const bound = await browser.post('/api/account/bind', {
    phone: '13800138000',
    smsCode: bff.inbox.get('13800138000'),
  });
  expect(((await bound.json()) as { returnTo: string }).returnTo).toBe(returnTo);
  const callback = await follow(browser, returnTo);
  expect(callback.origin + callback.pathname).toBe(redirect);
  const tokens = await rp.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: req.verifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
  });
  bff.secrets.add(callback.searchParams.get('code')!).add(tokens.access_token).add(tokens.id_token!);
  if (tokens.refresh_token) bff.secrets.add(tokens.refresh_token);
  return { tokens, callback, req };
}

describe('wxauth as an OpenID Connect provider', () => {
  it('is off without OIDC_CLIENTS_FILE: no discovery', async () => {
    const bff = await startBff();
    const res = await browserOf(bff).request('/oidc/.well-known/openid-configuration');
    expect(res.status).toBe(404);
  });

  it('discovery: issuer under PUBLIC_URL, https behind the trusted proxy, code flow with S256 only', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(ISSUER);
    expect(meta.authorization_endpoint).toBe(`${ISSUER}/auth`);
    expect(meta.token_endpoint).toBe(`${ISSUER}/token`);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.registration_endpoint).toBeUndefined();
    expect(meta.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'phone', 'profile', 'wechat']));
    expect(meta.backchannel_logout_supported).toBe(true);
  });

  it("discovery is PUBLIC_URL's whatever the request says its host is (no poisoned endpoints)", async () => {
    const { bff } = await start();
    for (const headers of [
      { 'x-forwarded-host': 'evil.example.net', 'x-forwarded-proto': 'http' },
      { host: 'evil.example.net:8080' },
      {},
    ]) {
      const res = await fetch(`${bff.origin}/oidc/.well-known/openid-configuration`, { headers });
      const meta = (await res.json()) as Record<string, string>;
      expect(meta.issuer).toBe(ISSUER);
      expect(meta.authorization_endpoint).toBe(`${ISSUER}/auth`);
      expect(meta.jwks_uri).toBe(`${ISSUER}/jwks`);
    }
  });

  it("one JWKS: the provider publishes the identity tokens' keys", async () => {
    const { bff, oidc } = await start();
    const config = await discover(bff, CRM);
    const provider = (await (
      await viaNginx(bff)(config.serverMetadata().jwks_uri!, { headers: {} } as never)
    ).json()) as JSONWebKeySet;
    const site = (await (await browserOf(bff).request('/.well-known/jwks.json')).json()) as JSONWebKeySet;
    const kids = (set: JSONWebKeySet) => set.keys.map((k) => `${k.kid}:${k.x}:${k.y}`).sort();
    expect(kids(provider)).toEqual(kids(site));
    expect(kids(provider)).toHaveLength(oidc.keys.length);
    for (const k of provider.keys) expect(k).not.toHaveProperty('d');
  });

  it('a new user: our login and binding, then code → tokens (id_token verified by the JWKS) → userinfo claims', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    const { tokens } = await signIn(bff, browser, config, 'openid phone profile wechat');

    const jwks = createLocalJWKSet(
      (await (await browserOf(bff).request('/.well-known/jwks.json')).json()) as JSONWebKeySet,
    );
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: ISSUER, audience: CRM.id });
    expect(protectedHeader.alg).toBe('ES256');
    expect(protectedHeader.kid).toBe('k1');
    const sub = payload.sub!;
    expect(sub).toMatch(/^\d+$/);

    const claims = await rp.fetchUserInfo(config, tokens.access_token, sub);
    expect(claims).toMatchObject({
      sub,
      phone_number: '+8613800138000',
      phone_number_verified: true,
      appid: 'wx0123456789abcdef',
      openid: expect.any(String),
    });
  });

  it("the docs' Node example (docs/examples/oidc-client.mjs) signs a new user in", async () => {
    const { wxauthClient, startLogin, finishLogin } = await import('../../../../../docs/examples/oidc-client.mjs');
    const { bff } = await start();
    const config = await wxauthClient({
      issuer: ISSUER,
      clientId: CRM.id,
      clientSecret: CRM.secret,
      options: { [rp.customFetch]: viaNginx(bff) },
    });
    const { url, keep } = await startLogin(config, CRM.redirect);
    const browser = browserOf(bff);
    const returnTo = (await follow(browser, url.href)).searchParams.get('returnTo')!;
    await browser.loginAndBind('dora', '13600136000', bff.inbox);
    const callback = await follow(browser, returnTo);
    const { user, tokens } = await finishLogin(config, callback, keep);
    bff.secrets.add(tokens.access_token).add(tokens.refresh_token!).add(callback.searchParams.get('code')!);
    expect(user).toMatchObject({ sub: expect.stringMatching(/^\d+$/), phone_number: '+8613600136000' });
  });

  it('scopes limit the claims: openid alone is the customer id', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const { tokens } = await signIn(bff, browserOf(bff), config, 'openid');
    const sub = decodeJwt(tokens.id_token!).sub!;
    expect(await rp.fetchUserInfo(config, tokens.access_token, sub)).toEqual({ sub });
  });

  it('a returning user passes silently (prompt=none), with no page of ours', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    const first = await signIn(bff, browser, config, 'openid');
    const again = await authorize(config, 'openid', { prompt: 'none' });
    const callback = await follow(browser, again.url.href);
    expect(callback.origin + callback.pathname).toBe(CRM.redirect);
    const tokens = await rp.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    expect(decodeJwt(tokens.id_token!).sub).toBe(decodeJwt(first.tokens.id_token!).sub);
  });

  it('a desktop browser goes to the open-in-WeChat page (PC QR login) as a page of its own', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    userAgents.set(browser, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36');
    const req = await authorize(config, 'openid');
    const page = await follow(browser, req.url.href);
    expect(page.pathname).toBe('/open-in-wechat');
    expect(page.searchParams.get('returnTo')).toMatch(/^\/api\/oidc\/interaction\/[\w-]+$/);
  });

  it('prompt=none with no session: login_required back to the client, not a page', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const req = await authorize(config, 'openid', { prompt: 'none' });
    const callback = await follow(browserOf(bff), req.url.href);
    expect(callback.origin + callback.pathname).toBe(CRM.redirect);
    expect(callback.searchParams.get('error')).toBe('login_required');
  });

  it('refresh tokens rotate, and a spent one revokes the grant', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const { tokens } = await signIn(bff, browserOf(bff), config, 'openid');
    const next = await rp.refreshTokenGrant(config, tokens.refresh_token!);
    expect(next.refresh_token).toBeDefined();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    await expect(rp.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The reuse revoked the whole grant: the new refresh token is dead too.
    await expect(rp.refreshTokenGrant(config, next.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it.each([false, true])(
    'grants and refresh tokens are kept in the database (MySQL: %s), and go with the grant',
    async (mysql) => {
      const oidc = await settings();
      const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys }, mysql });
      const config = await discover(bff, CRM);
      const { tokens } = await signIn(bff, browserOf(bff), config, 'openid');
      const rows = () => bff.db.selectFrom('oidc_artifacts').select(['model', 'grant_id']).orderBy('model').execute();
      const [grant, refresh] = await rows();
      expect(grant).toMatchObject({ model: 'Grant' });
      expect(refresh).toMatchObject({ model: 'RefreshToken', grant_id: grant!.grant_id });
      const next = await rp.refreshTokenGrant(config, tokens.refresh_token!);
      bff.secrets.add(next.refresh_token!).add(next.access_token);
      await expect(rp.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect(await rows()).toEqual([]);
    },
  );

  it('a code is used once; its replay is refused and revokes what it issued', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const { tokens, callback, req } = await signIn(bff, browserOf(bff), config, 'openid');
    const sub = decodeJwt(tokens.id_token!).sub!;
    await expect(
      rp.authorizationCodeGrant(config, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(rp.fetchUserInfo(config, tokens.access_token, sub)).rejects.toBeDefined();
  });

  it('PKCE downgrade is refused: a public client without a challenge, a verifier missing at the token endpoint', async () => {
    const { bff } = await start();
    const spa = await discover(bff, { id: SPA.id }, rp.None());
    const noChallenge = rp.buildAuthorizationUrl(spa, { redirect_uri: SPA.redirect, scope: 'openid', state: 's' });
    const refused = await follow(browserOf(bff), noChallenge.href);
    expect(refused.origin + refused.pathname).toBe(SPA.redirect);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('error_description')).toMatch(/PKCE/);
    const plain = rp.buildAuthorizationUrl(spa, {
      redirect_uri: SPA.redirect,
      scope: 'openid',
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    });
    expect((await follow(browserOf(bff), plain.href)).searchParams.get('error')).toBe('invalid_request');

    // A confidential client that sent a challenge must send the verifier.
    const crm = await discover(bff, CRM);
    const browser = browserOf(bff);
    await signIn(bff, browser, crm, 'openid');
    const req = await authorize(crm, 'openid');
    const callback = await follow(browser, req.url.href);
    expect(callback.searchParams.get('code')).toBeTruthy();
    await expect(rp.authorizationCodeGrant(crm, callback, { expectedState: req.state })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('redirect URIs match exactly: another path, a query, another host are refused with no redirect', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    for (const redirect_uri of [
      `${CRM.redirect}/x`,
      `${CRM.redirect}?next=/`,
      'https://crm.example.com.evil.net/callback',
      'http://crm.example.com/callback',
    ]) {
      const { url } = await authorize(config, 'openid', { redirect_uri });
      const res = await go(browserOf(bff), url.href);
      expect(res.status, redirect_uri).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('redirect_uri');
    }
  });

  it("metrics label the provider's requests by its endpoint (a bounded set), never by raw path", async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const { tokens } = await signIn(bff, browserOf(bff), config, 'openid');
    await rp.refreshTokenGrant(config, tokens.refresh_token!).then((t) => bff.secrets.add(t.refresh_token!));
    await go(browserOf(bff), `/oidc/no/such/${'z'.repeat(40)}`);
    const text = await (await fetch(`${bff.origin}/metrics`)).text();
    for (const line of [
      'method="GET",route="/oidc/.well-known/openid-configuration",status="200"',
      'method="GET",route="/oidc/auth",status="303"',
      'method="GET",route="/oidc/auth/:uid",status="303"',
      'method="POST",route="/oidc/token",status="200"',
      'method="GET",route="/oidc/*",status="404"',
    ])
      expect(text).toContain(`wxauth_http_requests_total{${line}}`);
    expect(text).not.toMatch(/route="unmatched"/);
    expect(text).not.toContain('z'.repeat(40));
  });

  it('a wrong client secret is refused (secrets are compared by hash)', async () => {
    const { bff } = await start();
    const config = await discover(bff, { id: CRM.id, secret: 'wrong-secret-0123456789abcdef0123456' });
    await expect(rp.refreshTokenGrant(config, 'x')).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe('consent for a client that is not first-party', () => {
  const PARTNER_SCOPE = 'openid phone profile wechat';
  const consentOf = (uid: string) => `/api/oidc/interaction/${uid}/consent`;

  /** A bound user starts a login at the partner: the consent page, with the interaction's uid. */
  async function toConsent(bff: Bff, browser: Browser, config: rp.Configuration, scope = PARTNER_SCOPE) {
    const req = await authorize(config, scope, { redirect_uri: OTHER.redirect });
    const page = await follow(browser, req.url.href);
    expect(page.pathname).toBe(CONSENT_PAGE);
    const uid = page.searchParams.get('uid')!;
    expect(uid).toMatch(/^[\w-]+$/);
    return { req, uid };
  }

  const answer = async (browser: Browser, uid: string, approve: boolean) => {
    const res = await browser.request(consentOf(uid), {
      method: 'POST',
      json: { approve },
      headers: { ...FORWARDED, 'sec-fetch-site': 'same-origin' },
    });
    expect(res.status).toBe(200);
    const { returnTo } = (await res.json()) as { returnTo: string };
    expect(returnTo).toMatch(new RegExp(`^${ISSUER}/auth/`));
    return returnTo;
  };

  it('the page learns the client and its scopes; 同意 grants them: code, tokens, the claims asked for', async () => {
    const { bff } = await start();
    const config = await discover(bff, OTHER);
    const browser = browserOf(bff);
    await browser.loginAndBind('bob', '13900139000', bff.inbox);
    const { req, uid } = await toConsent(bff, browser, config);

    const shown = await go(browser, consentOf(uid));
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual({
      client: { id: OTHER.id, name: 'Partner 商城' },
      scopes: ['openid', 'phone', 'profile', 'wechat'],
    });

    const callback = await follow(browser, await answer(browser, uid, true));
    expect(callback.origin + callback.pathname).toBe(OTHER.redirect);
    const tokens = await rp.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    bff.secrets.add(callback.searchParams.get('code')!).add(tokens.access_token).add(tokens.refresh_token!);
    const sub = decodeJwt(tokens.id_token!).sub!;
    expect(await rp.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({
      sub,
      phone_number: '+8613900139000',
      phone_number_verified: true,
      appid: expect.stringMatching(/^wx/),
      openid: expect.any(String),
    });

    // The same scopes again: granted already, no consent page on the way.
    const again = await authorize(config, PARTNER_SCOPE, { redirect_uri: OTHER.redirect });
    const back = await follow(browser, again.url.href);
    expect(back.origin + back.pathname).toBe(OTHER.redirect);
    expect(back.searchParams.get('code')).toBeTruthy();
    bff.secrets.add(back.searchParams.get('code')!);
  });

  it('a later login asking more is asked only about what is new', async () => {
    const { bff } = await start();
    const config = await discover(bff, OTHER);
    const browser = browserOf(bff);
    await browser.loginAndBind('bob', '13900139000', bff.inbox);
    const first = await toConsent(bff, browser, config, 'openid phone');
    bff.secrets.add(new URL(await follow(browser, await answer(browser, first.uid, true))).searchParams.get('code')!);
    const { uid } = await toConsent(bff, browser, config, 'openid phone profile');
    expect(((await (await go(browser, consentOf(uid))).json()) as { scopes: string[] }).scopes).toEqual(['profile']);
  });

  it('拒绝: the client gets access_denied with its state, and no code', async () => {
    const { bff } = await start();
    const config = await discover(bff, OTHER);
    const browser = browserOf(bff);
    await browser.loginAndBind('bob', '13900139000', bff.inbox);
    const { req, uid } = await toConsent(bff, browser, config);
    const back = await follow(browser, await answer(browser, uid, false));
    expect(back.origin + back.pathname).toBe(OTHER.redirect);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(req.state);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('the answer is bound to the browser that started the login, and comes only from our own pages', async () => {
    const { bff } = await start();
    const config = await discover(bff, OTHER);
    const browser = browserOf(bff);
    await browser.loginAndBind('bob', '13900139000', bff.inbox);
    const { uid } = await toConsent(bff, browser, config);

    // Another browser, signed in as someone else, without this login's interaction cookie.
    const other = browserOf(bff);
    await other.loginAndBind('eve', '13600136000', bff.inbox);
    expect((await go(other, consentOf(uid))).status).toBe(404);
    const stolen = await other.request(consentOf(uid), { method: 'POST', json: { approve: true }, headers: FORWARDED });
    expect(stolen.status).toBe(404);

    // A sibling subdomain's page posting with this browser's cookies, or a form (not JSON): refused.
    const sibling = await browser.request(consentOf(uid), {
      method: 'POST',
      json: { approve: true },
      headers: { ...FORWARDED, 'sec-fetch-site': 'same-site', origin: 'https://evil.example.com' },
    });
    expect(sibling.status).toBe(403);
    const form = await browser.request(consentOf(uid), {
      method: 'POST',
      body: 'approve=true',
      headers: { ...FORWARDED, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const bad = await browser.request(consentOf(uid), { method: 'POST', json: { approve: 'yes' }, headers: FORWARDED });
    expect(bad.status).toBe(400);

    // Signed out of wxauth meanwhile: the page must sign in again first.
    const anonymous = browserOf(bff);
    for (const name of ['wxauth_oidc_i', 'wxauth_oidc_i.sig']) {
      const value = browser.cookies.get(name);
      if (value) anonymous.cookies.set(name, value);
    }
    expect((await go(anonymous, consentOf(uid))).status).toBe(401);
  });

  it('a first-party client is never shown the consent page', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    await browser.loginAndBind('bob', '13900139000', bff.inbox);
    const req = await authorize(config, PARTNER_SCOPE);
    const back = await follow(browser, req.url.href);
    expect(back.origin + back.pathname).toBe(CRM.redirect);
    bff.secrets.add(back.searchParams.get('code')!);
  });
});

describe('RP-initiated logout', () => {
  it('the client sends the user to end_session: confirmed, back to its post-logout address, and signed out of wxauth too', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    const { tokens } = await signIn(bff, browser, config, 'openid');
    const url = rp.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: CRM.home,
      state: 'bye',
    });
    const page = await go(browser, url.href);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('退出');
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const confirmed = await browser.request(new URL(action, PUBLIC_URL).pathname, {
      method: 'POST',
      headers: { ...FORWARDED, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${CRM.home}?state=bye`);

    // The provider's session and ours are over: prompt=none fails, and so does the H5 app's session.
    const again = await authorize(config, 'openid', { prompt: 'none' });
    expect((await follow(browser, again.url.href)).searchParams.get('error')).toBe('login_required');
    expect((await browser.request('/api/session')).status).toBe(401);
  });

  it('a post_logout_redirect_uri the client did not register is refused, not followed', async () => {
    const { bff } = await start();
    const config = await discover(bff, CRM);
    const browser = browserOf(bff);
    const { tokens } = await signIn(bff, browser, config, 'openid');
    const url = rp.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://evil.example.net/',
    });
    const res = await go(browser, url.href);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('post_logout_redirect_uri');
  });
});

describe('the provider, attacked and clustered', () => {
  it('bad input is a clear 4xx OAuth error, never a 5xx', async () => {
    const { bff } = await start();
    const browser = browserOf(bff);
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      browser.request(path, {
        method: 'POST',
        body,
        headers: { ...FORWARDED, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
    const answers = [
      await go(browser, '/oidc/auth'),
      await go(browser, '/oidc/auth?client_id=nobody&response_type=code&scope=openid'),
      await go(browser, `/oidc/auth?client_id=crm&response_type=token&scope=openid&redirect_uri=${CRM.redirect}`),
      await go(
        browser,
        `/oidc/auth?client_id=crm&response_type=code&scope=openid&redirect_uri=${CRM.redirect}&request=x.y.z`,
      ),
      await go(browser, '/api/oidc/interaction/nope'),
      await go(browser, '/oidc/me'),
      await go(browser, '/oidc/reg'),
      await post('/oidc/token', 'grant_type=authorization_code&code=x&client_id=crm&client_secret=y'),
      await post('/oidc/token', 'grant_type=password&username=a&password=b&client_id=crm'),
      await post('/oidc/token', '%%%', { 'content-type': 'application/x-www-form-urlencoded' }),
      await post('/oidc/token', '{"grant_type":1}', { 'content-type': 'application/json' }),
      await post('/oidc/token/revocation', 'token=x'),
    ];
    for (const res of answers) {
      expect(res.status, res.url).toBeGreaterThanOrEqual(300);
      expect(res.status, res.url).toBeLessThan(500);
    }
    // No open redirect through logout: a post_logout_redirect_uri no client registered is not followed.
    for (const query of ['', '&client_id=crm']) {
      const logout = await go(browser, `/oidc/session/end?post_logout_redirect_uri=https://evil.example.net/${query}`);
      expect(logout.status).toBeLessThan(500);
      expect(logout.headers.get('location') ?? '').not.toContain('evil');
      expect(await logout.text()).not.toContain('evil');
    }
    // An implicit request goes back to the client as an error, never with a token.
    const implicit = answers[2]!;
    expect(implicit.headers.get('location') ?? '').not.toMatch(/access_token|id_token=/);
  });

  it('several instances on one Redis serve one login: authorize on one, come back and redeem on another', async () => {
    const oidc = await settings();
    const a = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys }, redis: true });
    const b = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys }, peer: a });
    const onA = await discover(a, CRM);
    const onB = await discover(b, CRM);
    const browserA = browserOf(a);
    const req = await authorize(onA, 'openid phone');
    const toLogin = await follow(browserA, req.url.href);
    const returnTo = toLogin.searchParams.get('returnTo')!;
    await browserA.loginAndBind('carol', '13700137000', a.inbox);
    // The same browser's next requests land on the other instance.
    const browserB = browserOf(b);
    for (const [k, v] of browserA.cookies) browserB.cookies.set(k, v);
    const callback = await follow(browserB, returnTo);
    expect(callback.origin + callback.pathname).toBe(CRM.redirect);
    const tokens = await rp.authorizationCodeGrant(onB, callback, {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    a.secrets.add(tokens.access_token).add(tokens.refresh_token!).add(callback.searchParams.get('code')!);
    const sub = decodeJwt(tokens.id_token!).sub!;
    expect(await rp.fetchUserInfo(onA, tokens.access_token, sub)).toMatchObject({ phone_number: '+8613700137000' });
    const next = await rp.refreshTokenGrant(onA, tokens.refresh_token!);
    a.secrets.add(next.refresh_token!).add(next.access_token);
    await expect(rp.refreshTokenGrant(onB, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

/** A client's back-channel logout endpoint on loopback (a private address): what it received. */
async function backchannelReceiver() {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`;
  return { url, received, close: () => new Promise((r) => server.close(r)) };
}

describe("back-channel logout when wxauth ends the customer's sessions", () => {
  const ORDERS = {
    id: 'orders',
    secret: 'orders-secret-0123456789abcdef012345',
    redirect: 'https://orders.example.com/cb',
  };
  const entry = (url: string, privateNetwork: boolean) => ({
    client_id: ORDERS.id,
    client_secret_sha256: hashClientSecret(ORDERS.secret),
    redirect_uris: [ORDERS.redirect],
    backchannel_logout_uri: url,
    backchannel_logout_private_network: privateNetwork,
    first_party: true,
  });
  const revoke = (bff: Bff, sub: string) =>
    fetch(`${bff.origin}/internal/customers/${sub}/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });

  it("a host revoke: the client gets a signed logout token, and the login's tokens and session are dead", async () => {
    const receiver = await backchannelReceiver();
    try {
      const oidc = await settings([entry(receiver.url, true)]);
      const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys } });
      const config = await discover(bff, ORDERS);
      const browser = browserOf(bff);
      const { tokens } = await signIn(bff, browser, config, 'openid', ORDERS.redirect);
      const sub = decodeJwt(tokens.id_token!).sub!;
      const sid = decodeJwt(tokens.id_token!).sid;
      expect(sid).toBeDefined();

      expect((await revoke(bff, sub)).status).toBe(204);
      expect(receiver.received).toHaveLength(1);
      const jwks = createLocalJWKSet((await (await browser.request('/.well-known/jwks.json')).json()) as JSONWebKeySet);
      const { payload } = await jwtVerify(receiver.received[0]!, jwks, { issuer: ISSUER, audience: ORDERS.id });
      expect(payload).toMatchObject({ sub, sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
      expect(payload.nonce).toBeUndefined();

      await expect(rp.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(rp.fetchUserInfo(config, tokens.access_token, sub)).rejects.toBeDefined();
      const again = await authorize(config, 'openid', { prompt: 'none', redirect_uri: ORDERS.redirect });
      expect((await follow(browser, again.url.href)).searchParams.get('error')).toBe('login_required');
    } finally {
      await receiver.close();
    }
  });

  it('an unbind logs the customer out of the clients too', async () => {
    const receiver = await backchannelReceiver();
    try {
      const oidc = await settings([entry(receiver.url, true)]);
      const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys } });
      const config = await discover(bff, ORDERS);
      const browser = browserOf(bff);
      const { tokens } = await signIn(bff, browser, config, 'openid', ORDERS.redirect);
      expect((await browser.post('/api/account/unbind')).status).toBe(204);
      expect(receiver.received).toHaveLength(1);
      expect(decodeJwt(receiver.received[0]!).sub).toBe(decodeJwt(tokens.id_token!).sub);
    } finally {
      await receiver.close();
    }
  });

  it("signing out of wxauth (the H5 app's logout) ends this browser's provider session, and tells the client", async () => {
    const receiver = await backchannelReceiver();
    try {
      const oidc = await settings([entry(receiver.url, true)]);
      const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys } });
      const config = await discover(bff, ORDERS);
      const browser = browserOf(bff);
      const { tokens } = await signIn(bff, browser, config, 'openid', ORDERS.redirect);
      expect((await browser.post('/api/auth/logout')).status).toBe(204);
      expect(receiver.received).toHaveLength(1);
      expect(decodeJwt(receiver.received[0]!)).toMatchObject({ sub: decodeJwt(tokens.id_token!).sub, aud: ORDERS.id });
      await expect(rp.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      const again = await authorize(config, 'openid', { prompt: 'none', redirect_uri: ORDERS.redirect });
      expect((await follow(browser, again.url.href)).searchParams.get('error')).toBe('login_required');
    } finally {
      await receiver.close();
    }
  });

  it('a private back-channel address is not called unless that client allows it', async () => {
    const receiver = await backchannelReceiver();
    try {
      const oidc = await settings([entry(receiver.url, false)]);
      const bff = await startBff({ env: { TRUST_PROXY: 'loopback' }, oidc, tokenKeys: { keys: oidc.keys } });
      const config = await discover(bff, ORDERS);
      const { tokens } = await signIn(bff, browserOf(bff), config, 'openid', ORDERS.redirect);
      expect((await revoke(bff, decodeJwt(tokens.id_token!).sub!)).status).toBe(204);
      expect(receiver.received).toHaveLength(0);
      expect(bff.logs.join('')).toContain('oidc back-channel logout failed');
    } finally {
      await receiver.close();
    }
  });
});
