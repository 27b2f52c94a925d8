import { describe, expect, it } from 'vitest';
import { APP, simForm, startBff, WEBSITE, type Bff, type Browser } from '../../../__tests__/harness.js';

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** PC QR login: authorize?platform=website, the QR page, scan and confirm, back to /auth, POST. */
async function pcLogin(bff: Bff, browser: Browser, user: string): Promise<Response> {
  const start = await browser.request('/api/auth/wechat/authorize?platform=website&returnTo=%2Forders');
  expect(start.status).toBe(302);
  const qr = new URL(start.headers.get('location')!.replace(/#wechat_redirect$/, ''));
  qr.searchParams.set('wxsim_user', user);
  const page = await (await fetch(qr)).text();
  const form = simForm(page);
  const back = new URL(
    (
      await fetch(`${bff.simOrigin}/connect/qrconnect/confirm`, { method: 'POST', body: form, redirect: 'manual' })
    ).headers.get('location')!,
  );
  return browser.post('/api/auth/wechat/login', {
    code: back.searchParams.get('code'),
    state: back.searchParams.get('state'),
  });
}

const phoneOf = async (browser: Browser) =>
  ((await (await browser.request('/api/session')).json()) as { user: { phone: string | null } }).user.phone;

describe('PC QR login (website app)', () => {
  it('authorize?platform=website goes to qrconnect with the website appid, snsapi_login and a browser-bound state', async () => {
    const bff = await startBff();
    const res = await bff.browser().request('/api/auth/wechat/authorize?platform=website');
    expect(res.headers.get('location')).toMatch(
      new RegExp(
        `^${bff.simOrigin}/connect/qrconnect\\?appid=${WEBSITE.appid}&redirect_uri=https%3A%2F%2Fh5\\.example\\.com%2Fauth` +
          '&response_type=code&scope=snsapi_login&state=[A-Za-z0-9]{32}#wechat_redirect$',
      ),
    );
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-wxauth_b='))).toBe(true);
  });

  it('is refused when no website app secret is configured', async () => {
    const bff = await startBff({ env: { WX_WEBSITE_APPSECRET: '' } });
    const res = await bff.browser().request('/api/auth/wechat/authorize?platform=website');
    expect([res.status, await errorCode(res)]).toEqual([400, 'PLATFORM_UNAVAILABLE']);
    expect(await (await fetch(`${bff.origin}/api/meta`)).json()).toMatchObject({ websiteLogin: false });
  });

  it('exchanges the code with the website app and makes its own identity', async () => {
    const bff = await startBff();
    const res = await pcLogin(bff, bff.browser(), 'dave');
    expect(await res.json()).toEqual({ next: 'bind', returnTo: '/orders' });
    const rows = await bff.db.selectFrom('wechat_identities').select(['appid', 'unionid']).execute();
    expect(rows).toEqual([{ appid: WEBSITE.appid, unionid: expect.stringMatching(/^o/) }]);
    expect(await (await fetch(`${bff.origin}/api/meta`)).json()).toMatchObject({ websiteLogin: true });
  });
});

describe('one customer across apps by unionid', () => {
  it('a phone bound on mobile (snsapi_userinfo) logs the same person in on PC with no second binding', async () => {
    const bff = await startBff();
    const mobile = bff.browser();
    expect((await mobile.login({ user: 'erin', scope: 'snsapi_userinfo' })).status).toBe(200);
    await mobile.bind('13800138000', bff.inbox);
    const pc = bff.browser();
    expect(await (await pcLogin(bff, pc, 'erin')).json()).toEqual({ next: 'home', returnTo: '/orders' });
    expect(await phoneOf(pc)).toBe('138****8000');
  });

  it('and the reverse: bound on PC, then mobile goes home with no binding', async () => {
    const bff = await startBff();
    const pc = bff.browser();
    await pcLogin(bff, pc, 'frank');
    await pc.bind('13900139000', bff.inbox);
    const mobile = bff.browser();
    expect(await (await mobile.login({ user: 'frank', scope: 'snsapi_userinfo' })).json()).toMatchObject({
      next: 'home',
    });
    expect(await phoneOf(mobile)).toBe('139****9000');
  });

  it('an identity without unionid (snsapi_base) is not merged: it binds by phone', async () => {
    const bff = await startBff();
    const pc = bff.browser();
    await pcLogin(bff, pc, 'gina');
    await pc.bind('13700137000', bff.inbox);
    expect(await (await bff.browser().login({ user: 'gina' })).json()).toMatchObject({ next: 'bind' });
  });

  it('without the profile step (the default): the same phone bound on PC joins the mobile customer', async () => {
    const bff = await startBff();
    await bff.browser().loginAndBind('jane', '13300133000', bff.inbox);
    const pc = bff.browser();
    expect(await (await pcLogin(bff, pc, 'jane')).json()).toMatchObject({ next: 'bind' });
    bff.advance(2 * 60_000); // past the phone's SMS cooldown
    await pc.bind('13300133000', bff.inbox);
    expect(await phoneOf(pc)).toBe('133****3000');
    expect(await bff.db.selectFrom('customers').select('id').execute()).toHaveLength(1);
  });

  it('a unionid bound to two customers is a conflict: no automatic merge, the user binds', async () => {
    const bff = await startBff();
    const unionid = 'oConflictUnionid000000000000';
    const t = Date.now();
    const [c1, c2] = await Promise.all(
      ['13600136001', '13600136002'].map(
        async (phone) =>
          (
            await bff.db
              .insertInto('customers')
              .values({ ref: `c-${phone}`, phone, display_name: null, created_at: t, updated_at: t })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id,
      ),
    );
    await bff.db
      .insertInto('wechat_identities')
      .values([
        { appid: 'wxaaaaaaaaaaaaaaaa', openid: 'o1', unionid, customer_id: c1, created_at: t, updated_at: t },
        { appid: 'wxbbbbbbbbbbbbbbbb', openid: 'o2', unionid, customer_id: c2, created_at: t, updated_at: t },
      ])
      .execute();
    const identity = await bff.store.upsertIdentity({ appid: APP.appid, openid: 'o3', unionid });
    const adopted = await bff.store.adoptByUnionid(identity);
    expect(adopted).toMatchObject({ conflict: true, identity: { customer_id: null } });
  });

  it('after a revoke, unionid rejoins only once the phone is proven again on another app', async () => {
    const bff = await startBff();
    const mobile = bff.browser();
    await mobile.login({ user: 'hank', scope: 'snsapi_userinfo' });
    await mobile.bind('13500135000', bff.inbox);
    await pcLogin(bff, bff.browser(), 'hank');
    const { id } = await bff.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    bff.advance(1);
    await fetch(`${bff.origin}/internal/customers/${id}/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bff.config.internalApiToken}` },
    });
    bff.advance(1);
    expect(await (await pcLogin(bff, bff.browser(), 'hank')).json()).toMatchObject({ next: 'bind' });

    const again = bff.browser();
    await again.login({ user: 'hank', scope: 'snsapi_userinfo' });
    bff.advance(2 * 60_000);
    await again.post('/api/sms/send', { phone: '13500135000' });
    expect(
      (await again.post('/api/account/bind', { phone: '13500135000', smsCode: bff.inbox.get('13500135000') })).status,
    ).toBe(200);
    bff.advance(1);
    expect(await (await pcLogin(bff, bff.browser(), 'hank')).json()).toMatchObject({ next: 'home' });
  });
});

describe('GET /api/auth/wechat/qr-login (the embedded QR)', () => {
  it("gives wxLogin.js's parameters and the iframe URL, with a browser-bound state that logs in", async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const res = await browser.request('/api/auth/wechat/qr-login?returnTo=%2Fcart');
    const params = (await res.json()) as Record<string, string>;
    expect(params).toMatchObject({
      self_redirect: false,
      id: 'wxauth-qr',
      appid: WEBSITE.appid,
      scope: 'snsapi_login',
      redirect_uri: 'https://h5.example.com/auth',
      state: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      style: 'black',
      href: '',
    });
    const src = new URL(params.src!);
    expect(src.pathname).toBe('/connect/qrconnect');
    expect(src.searchParams.get('login_type')).toBe('jssdk');
    src.searchParams.set('wxsim_user', 'ivy');
    const page = await (await fetch(src)).text();
    expect(page).toContain('target="_top"');
    const form = simForm(page);
    const back = new URL(
      (
        await fetch(`${bff.simOrigin}/connect/qrconnect/confirm`, { method: 'POST', body: form, redirect: 'manual' })
      ).headers.get('location')!,
    );
    const login = await browser.post('/api/auth/wechat/login', {
      code: back.searchParams.get('code'),
      state: back.searchParams.get('state'),
    });
    expect(await login.json()).toEqual({ next: 'bind', returnTo: '/cart' });
    expect(await (await browser.request('/api/session')).json()).toMatchObject({ bound: false, unionid: true });
  });
});

describe('a phone number given to someone new', () => {
  it("takes the customer from every app of the old holder, the PC one included, not only this app's", async () => {
    const bff = await startBff();
    const erinPhone = bff.browser();
    expect((await erinPhone.login({ user: 'erin', scope: 'snsapi_userinfo' })).status).toBe(200);
    await erinPhone.bind('13800138000', bff.inbox);
    const erinPc = bff.browser();
    expect(await (await pcLogin(bff, erinPc, 'erin')).json()).toMatchObject({ next: 'home' });
    expect(await phoneOf(erinPc)).toBe('138****8000');
    expect((await erinPc.request('/internal/forward-auth/bound')).status).toBe(204);

    bff.advance(2 * 60_000);
    const mallory = bff.browser();
    expect((await mallory.login({ user: 'mallory' })).status).toBe(200);
    await mallory.bind('13800138000', bff.inbox);

    // Erin's PC session, and a new PC login of hers, no longer reach the customer.
    expect((await erinPc.request('/internal/forward-auth/bound')).status).toBe(401);
    const again = bff.browser();
    expect(await (await pcLogin(bff, again, 'erin')).json()).toMatchObject({ next: 'bind' });
    expect((await mallory.request('/internal/forward-auth/bound')).status).toBe(204);
  });

  it('keeps the same person’s other apps: binding again from the PC leaves the phone app bound', async () => {
    const bff = await startBff();
    const phone = bff.browser();
    await phone.login({ user: 'erin', scope: 'snsapi_userinfo' });
    await phone.bind('13800138000', bff.inbox);
    const pc = bff.browser();
    await pcLogin(bff, pc, 'erin');
    bff.advance(2 * 60_000);
    // The PC identity unbinds and binds the same phone again: the phone app is erin's too, untouched.
    expect((await pc.post('/api/account/unbind')).status).toBe(204);
    bff.advance(1000);
    await pcLogin(bff, pc, 'erin');
    await pc.bind('13800138000', bff.inbox);
    expect((await phone.request('/internal/forward-auth/bound')).status).toBe(204);
  });
});
