import { describe, expect, it } from 'vitest';
import { unavailable } from '../../../platform/errors.js';
import { loadConfig } from '../../../platform/config.js';
import { APP, REAL_ENV, simForm, startBff, type Bff, type Browser } from '../../../__tests__/harness.js';

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function expectNoSession(browser: Browser) {
  expect((await browser.request('/api/session')).status).toBe(401);
}

describe('GET /api/auth/wechat/authorize', () => {
  it("redirects to WeChat's authorize URL exactly: order, encoding, #wechat_redirect", async () => {
    const bff = await startBff();
    const res = await bff.browser().request('/api/auth/wechat/authorize?scope=snsapi_base&returnTo=%2Forders%3Fid%3D7');
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(
      new RegExp(
        `^${bff.simOrigin}/connect/oauth2/authorize\\?appid=${APP.appid}` +
          '&redirect_uri=https%3A%2F%2Fh5\\.example\\.com%2Fauth&response_type=code&scope=snsapi_base' +
          '&state=[A-Za-z0-9]{32}#wechat_redirect$',
      ),
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('binds the state to the browser with an HttpOnly, SameSite=Lax, __Host- cookie under https', async () => {
    const bff = await startBff();
    const res = await bff.browser().request('/api/auth/wechat/authorize');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-wxauth_b='))!;
    expect(cookie).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('a failure sends a browser back to /auth with the code, and gives a program JSON', async () => {
    const bff = await startBff();
    // The state store is down: what the Redis store throws for every operation then.
    bff.kv.set = () => Promise.reject(unavailable('state'));
    const navigation = await bff.browser().request('/api/auth/wechat/authorize', {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' },
    });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get('location')).toBe('/auth?error=SERVICE_UNAVAILABLE');
    const program = await bff.browser().request('/api/auth/wechat/authorize');
    expect(program.status).toBe(503);
    expect(program.headers.get('retry-after')).toBe('5');
    expect(await errorCode(program)).toBe('SERVICE_UNAVAILABLE');
  });

  it('mints a fresh state every time', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const states = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await browser.request('/api/auth/wechat/authorize');
      states.add(new URL(res.headers.get('location')!.replace('#wechat_redirect', '')).searchParams.get('state')!);
    }
    expect(states.size).toBe(20);
  });

  it('asks for snsapi_userinfo when told to, and refuses any other scope', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const userinfo = await browser.request('/api/auth/wechat/authorize?scope=snsapi_userinfo');
    expect(userinfo.headers.get('location')).toContain('&scope=snsapi_userinfo&');
    const bad = await browser.request('/api/auth/wechat/authorize?scope=snsapi_login');
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('SCOPE_INVALID');
  });

  it.each(['https://evil.com/x', '//evil.com', '/\\evil.com', '/%0d%0aSet-Cookie:x', 'javascript:alert(1)'])(
    'keeps returnTo a same-origin path: %s becomes /',
    async (returnTo) => {
      const bff = await startBff();
      const browser = bff.browser();
      const res = await browser.login({ returnTo });
      expect(((await res.json()) as { returnTo: string }).returnTo).toBe(
        returnTo.startsWith('/%0d') ? '/%0d%0aSet-Cookie:x' : '/',
      );
    },
  );
});

describe('POST /api/auth/wechat/login', () => {
  it('logs a new user in and asks for binding; the session cookie is HttpOnly, Lax, __Host-', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const res = await browser.login({ user: 'alice', returnTo: '/orders?id=7' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ next: 'bind', returnTo: '/orders?id=7' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-wxauth_sid='))!;
    expect(cookie).toMatch(
      /^__Host-wxauth_sid=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/,
    );
    const session = await browser.request('/api/session');
    expect(await session.json()).toEqual({
      bound: false,
      unionid: false,
      user: { phone: null, displayName: null, nickname: null, avatar: null },
    });
  });

  it('gives a new session id at every login', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.login({ user: 'alice' });
    const first = browser.cookies.get('__Host-wxauth_sid')!;
    await browser.login({ user: 'alice' });
    const second = browser.cookies.get('__Host-wxauth_sid')!;
    expect(second).not.toBe(first);
    const stale = bff.browser();
    stale.cookies.set('__Host-wxauth_sid', first);
    expect((await stale.request('/api/session')).status).toBe(401);
  });

  it('one openid per (app, user): the same user comes back as the same identity', async () => {
    const bff = await startBff();
    await bff.browser().login({ user: 'alice' });
    await bff.browser().login({ user: 'alice' });
    await bff.browser().login({ user: 'bob' });
    const rows = await bff.db.selectFrom('wechat_identities').select(['appid', 'openid']).execute();
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.openid)).toContain(bff.sim.openidOf(APP.appid, 'alice'));
  });

  describe('every state failure is a 4xx and makes no session', () => {
    const cases: Array<[string, (b: Browser, code: string, state: string) => Promise<Response>]> = [
      ['missing', (b, code) => b.post('/api/auth/wechat/login', { code })],
      ['empty', (b, code) => b.post('/api/auth/wechat/login', { code, state: '' })],
      ['not a string', (b, code, state) => b.post('/api/auth/wechat/login', { code, state: [state] })],
      ['unknown', (b, code) => b.post('/api/auth/wechat/login', { code, state: 'A'.repeat(32) })],
      ['malformed', (b, code, state) => b.post('/api/auth/wechat/login', { code, state: state + '!' })],
      [
        'sent in the query as well',
        (b, code, state) =>
          b.request(`/api/auth/wechat/login?state=${state}`, { method: 'POST', json: { code, state } }),
      ],
      [
        'from a browser without the binding cookie',
        (b, code, state) => {
          b.cookies.clear();
          return b.post('/api/auth/wechat/login', { code, state });
        },
      ],
    ];
    it.each(cases)('%s', async (_, send) => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      const res = await send(browser, code!, state);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('STATE_INVALID');
      expect(res.headers.getSetCookie().some((c) => c.includes('wxauth_sid=') && !c.includes('Max-Age=0'))).toBe(false);
      await expectNoSession(browser);
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBeUndefined();
    });

    it('from another browser (a stolen callback URL): refused, and the victim is not logged in', async () => {
      const bff = await startBff();
      const victim = bff.browser();
      const attacker = bff.browser();
      await attacker.request('/api/auth/wechat/authorize');
      const { code, state } = await victim.authorize({ user: 'alice' });
      const res = await attacker.post('/api/auth/wechat/login', { code, state });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('STATE_INVALID');
      await expectNoSession(attacker);
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBeUndefined();
    });

    it('expired after 10 minutes', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      bff.advance(10 * 60_000 + 1);
      const res = await browser.post('/api/auth/wechat/login', { code, state });
      expect(await errorCode(res)).toBe('STATE_INVALID');
      await expectNoSession(browser);
    });

    it('replayed with another code after a login', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const first = await browser.authorize({ user: 'alice' });
      expect((await browser.post('/api/auth/wechat/login', { code: first.code, state: first.state })).status).toBe(200);
      const second = await browser.authorize({ user: 'mallory' });
      browser.cookies.delete('__Host-wxauth_sid'); // with a session, the stale state would just keep it
      const replay = await browser.post('/api/auth/wechat/login', { code: second.code, state: first.state });
      expect(await errorCode(replay)).toBe('STATE_INVALID');
    });
  });

  describe('a code sent again', () => {
    it('after the database failed mid-login, gets the same 503 as the first time', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
      bff.store.upsertIdentity = () => Promise.reject(lost);
      const first = await browser.post('/api/auth/wechat/login', { code, state });
      const again = await browser.post('/api/auth/wechat/login', { code, state });
      for (const res of [first, again]) {
        expect(res.status).toBe(503);
        expect(await errorCode(res)).toBe('SERVICE_UNAVAILABLE');
      }
    });

    it('from the same browser (back, refresh) resumes the session instead of an error', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice', returnTo: '/cart' });
      const first = await browser.post('/api/auth/wechat/login', { code, state });
      const again = await browser.post('/api/auth/wechat/login', { code, state });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(await first.json());
      expect((await browser.request('/api/session')).status).toBe(200);
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
    });

    it("from the same browser twice at once (WeChat's double callback): both succeed, one exchange", async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      await bff.fault({ path: '/sns/oauth2/access_token', delayMs: 200 });
      const [a, b] = await Promise.all([
        browser.post('/api/auth/wechat/login', { code, state }),
        browser.post('/api/auth/wechat/login', { code, state }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
    });

    it('from another browser is refused', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      expect((await browser.post('/api/auth/wechat/login', { code, state })).status).toBe(200);
      const other = bff.browser();
      await other.request('/api/auth/wechat/authorize');
      const res = await other.post('/api/auth/wechat/login', { code, state });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('STATE_INVALID');
      await expectNoSession(other);
    });

    it('after logout does not bring the session back', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice' });
      await browser.post('/api/auth/wechat/login', { code, state });
      expect((await browser.post('/api/auth/logout')).status).toBe(204);
      expect(await errorCode(await browser.post('/api/auth/wechat/login', { code, state }))).toBe('STATE_INVALID');
      await expectNoSession(browser);
    });
  });

  describe("WeChat's answers", () => {
    it('refuses snapshot-page users with SNAPSHOT_USER and makes no identity', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const res = await browser.login({ user: 'snapshot-7', scope: 'snsapi_userinfo' });
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe('SNAPSHOT_USER');
      expect(await bff.db.selectFrom('wechat_identities').selectAll().execute()).toEqual([]);
      await expectNoSession(browser);
    });

    it('a refusal of consent comes back with the state and no code: CODE_MISSING, no exchange', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const { code, state } = await browser.authorize({ user: 'alice', scope: 'snsapi_userinfo', consent: 'deny' });
      expect(code).toBeNull();
      const res = await browser.post('/api/auth/wechat/login', { state });
      expect(await errorCode(res)).toBe('CODE_MISSING');
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBeUndefined();
    });

    it.each([
      [
        '40029 invalid code',
        async (_: unknown, code: string) => code.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        400,
        'CODE_INVALID',
      ],
      [
        '42003 expired code',
        async (bff: { advance(ms: number): void }, code: string) => (bff.advance(5 * 60_000 + 1), code),
        400,
        'CODE_EXPIRED',
      ],
    ] as const)('%s → %s', async (_, mutate, status, code) => {
      const bff = await startBff();
      const browser = bff.browser();
      const back = await browser.authorize({ user: 'alice' });
      const res = await browser.post('/api/auth/wechat/login', {
        code: await mutate(bff, back.code!),
        state: back.state,
      });
      expect(res.status).toBe(status);
      expect(await errorCode(res)).toBe(code);
      await expectNoSession(browser);
    });

    it('40163: a code already used elsewhere → CODE_USED', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      const back = await browser.authorize({ user: 'alice' });
      await fetch(
        `${bff.simOrigin}/sns/oauth2/access_token?appid=${APP.appid}&secret=${APP.secret}&code=${back.code}&grant_type=authorization_code`,
      );
      const res = await browser.post('/api/auth/wechat/login', { code: back.code, state: back.state });
      expect(await errorCode(res)).toBe('CODE_USED');
    });

    it('-1 (system busy) → 503 WECHAT_BUSY, and the code exchange is not repeated', async () => {
      const bff = await startBff();
      const browser = bff.browser();
      await bff.fault({ path: '/sns/oauth2/access_token', errcode: -1, times: 5 });
      const res = await browser.login({ user: 'alice' });
      expect(res.status).toBe(503);
      expect(await errorCode(res)).toBe('WECHAT_BUSY');
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
    });

    it('HTTP 502 from WeChat → 502 WECHAT_UNAVAILABLE, not repeated', async () => {
      const bff = await startBff();
      await bff.fault({ path: '/sns/oauth2/access_token', status: 502, times: 5 });
      const res = await bff.browser().login({ user: 'alice' });
      expect(res.status).toBe(502);
      expect(await errorCode(res)).toBe('WECHAT_UNAVAILABLE');
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
    });

    it('a timeout → 504 WECHAT_TIMEOUT, not repeated', async () => {
      const bff = await startBff({ env: { WX_TIMEOUT_MS: '300' } });
      await bff.fault({ path: '/sns/oauth2/access_token', delayMs: 600, times: 5 });
      const res = await bff.browser().login({ user: 'alice' });
      expect(res.status).toBe(504);
      expect(await errorCode(res)).toBe('WECHAT_TIMEOUT');
      expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
    });

    it("a wrong appsecret is the operator's problem: a generic 500 that hides the detail", async () => {
      const bff = await startBff({ env: { WX_APPSECRET: 'ffffffffffffffffffffffffffffffff' } });
      const res = await bff.browser().login({ user: 'alice' });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('WECHAT_MISCONFIGURED');
      expect(body.error.message).not.toContain('40125');
      expect(bff.logs.join('')).toContain('40125');
    });
  });

  it('50 concurrent first logins of 25 openids make exactly 25 identities and no 5xx', async () => {
    const bff = await startBff();
    const pending = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const browser = bff.browser();
        const back = await browser.authorize({ user: `user${i % 25}` });
        return { browser, back };
      }),
    );
    const results = await Promise.all(
      pending.map(({ browser, back }) =>
        browser.post('/api/auth/wechat/login', { code: back.code, state: back.state }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const rows = await bff.db.selectFrom('wechat_identities').select('openid').execute();
    expect(new Set(rows.map((r) => r.openid)).size).toBe(25);
    expect(rows).toHaveLength(25);
  });
});

describe('snsapi_userinfo', () => {
  it('keeps the nickname and avatar of a user who consented', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    expect((await browser.login({ user: 'alice', scope: 'snsapi_userinfo' })).status).toBe(200);
    const session = (await (await browser.request('/api/session')).json()) as { user: Record<string, string> };
    expect(session.user.nickname).toBe('微信用户alice');
    expect(session.user.avatar).toMatch(/\/__sim\/avatar\/alice\/132$/);
  });

  it('a failing sns/userinfo costs the profile, not the login', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/sns/userinfo', status: 503, times: 3 });
    const browser = bff.browser();
    expect((await browser.login({ user: 'alice', scope: 'snsapi_userinfo' })).status).toBe(200);
    const session = (await (await browser.request('/api/session')).json()) as { user: Record<string, unknown> };
    expect(session.user.nickname).toBeNull();
    expect((await bff.simStats())['/sns/userinfo']).toBe(3);
  });

  it('a snsapi_base login never asks for the profile', async () => {
    const bff = await startBff();
    await bff.browser().login({ user: 'alice' });
    expect((await bff.simStats())['/sns/userinfo']).toBeUndefined();
  });
});

describe('GET /api/meta', () => {
  it('tells the H5 app whether this is the demo and whether PC QR login is offered', async () => {
    const bff = await startBff();
    expect(await (await fetch(`${bff.origin}/api/meta`)).json()).toEqual({
      demo: false,
      websiteLogin: true,
      followLogin: false,
      bindMethods: ['sms'],
      unionidBeforeBind: false,
      // WeChat's JS-SDK at the address its document gives, unless WX_JSSDK_SCRIPT names another.
      jweixin: 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js',
    });
    const standIn = await startBff({ env: { WX_JSSDK_SCRIPT: 'http://localhost:9/open/js/jweixin-1.6.0.js' } });
    expect(await (await fetch(`${standIn.origin}/api/meta`)).json()).toMatchObject({
      jweixin: 'http://localhost:9/open/js/jweixin-1.6.0.js',
    });
    expect(() => loadConfig({ ...REAL_ENV, WX_JSSDK_SCRIPT: 'res.wx.qq.com/x.js' })).toThrow(/WX_JSSDK_SCRIPT/);
  });

  it('asks a new user for the profile before binding only when WX_UNIONID_BEFORE_BIND=1 and a website app is set', async () => {
    const on = await startBff({ env: { WX_UNIONID_BEFORE_BIND: '1' } });
    expect(await (await fetch(`${on.origin}/api/meta`)).json()).toMatchObject({ unionidBeforeBind: true });
    const noWebsite = await startBff({ env: { WX_UNIONID_BEFORE_BIND: '1', WX_WEBSITE_APPSECRET: '' } });
    expect(await (await fetch(`${noWebsite.origin}/api/meta`)).json()).toMatchObject({ unionidBeforeBind: false });
    expect(() => loadConfig({ ...REAL_ENV, WX_UNIONID_BEFORE_BIND: 'yes' })).toThrow(
      /WX_UNIONID_BEFORE_BIND: expected 1 .* or 0, got "yes"/,
    );
  });
});

describe('WeChat answering JSON as text/plain (some of its endpoints do)', () => {
  it('the login, the profile and the JS-SDK signature still work', async () => {
    const bff = await startBff();
    for (const path of [
      '/sns/oauth2/access_token',
      '/sns/userinfo',
      '/cgi-bin/stable_token',
      '/cgi-bin/ticket/getticket',
    ])
      expect((await bff.fault({ path, contentType: 'text/plain' })).status).toBe(201);
    const browser = bff.browser();
    const login = await browser.login({ user: 'alice', scope: 'snsapi_userinfo' });
    expect(await login.json()).toMatchObject({ next: 'bind' });
    expect(
      ((await (await browser.request('/api/session')).json()) as { user: { nickname: string } }).user.nickname,
    ).toBe('微信用户alice');
    const jssdk = await browser.request(
      `/api/wechat/jssdk-config?url=${encodeURIComponent('https://h5.example.com/x')}`,
    );
    expect(jssdk.status).toBe(200);
  });
});

describe('request logs', () => {
  it('one JSON line per request with a request id, so the log scan after each test has lines to scan', async () => {
    const bff = await startBff();
    await bff.browser().login({ user: 'alice' });
    const lines = bff.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    expect(lines.map((l) => l.path)).toEqual(['/api/auth/wechat/authorize', '/api/auth/wechat/login']);
    for (const l of lines) expect(l.requestId).toMatch(/^[A-Za-z0-9]{16}$/);
  });
});

describe('the callback link re-opened after binding', () => {
  it('resumes with the session binding gave this browser', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const { code, state } = await browser.authorize({ user: 'alice', returnTo: '/cart' });
    await browser.post('/api/auth/wechat/login', { code, state });
    await browser.bind('13800138000', bff.inbox);
    const again = await browser.post('/api/auth/wechat/login', { code, state });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ next: 'home', returnTo: '/cart' });
  });

  it('but not with a session of another identity in that browser', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const first = await browser.authorize({ user: 'alice' });
    await browser.post('/api/auth/wechat/login', { code: first.code, state: first.state });
    await browser.bind('13800138000', bff.inbox);
    await browser.login({ user: 'bob' });
    const replay = await browser.post('/api/auth/wechat/login', { code: first.code, state: first.state });
    // Bob's own session goes on (see below); alice's, which binding replaced, does not come back.
    expect(await replay.json()).toEqual({ next: 'bind', returnTo: '/' });
    expect(await (await browser.request('/api/session')).json()).toMatchObject({ bound: false });
  });
});

describe("a stale state from a signed-in browser (WeChat's consent page again, by Back after binding)", () => {
  /** The consent page of `wechatUrl` shown again and allowed: WeChat gives a new code with the old state. */
  async function allowAgain(bff: Bff, wechatUrl: string, user: string) {
    const url = new URL(wechatUrl.replace(/#.*$/, ''));
    url.searchParams.set('wxsim_user', user);
    const form = simForm(await (await fetch(url)).text());
    form.set('decision', 'allow');
    const res = await fetch(`${bff.simOrigin}/connect/oauth2/authorize/confirm`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    const back = new URL(res.headers.get('location')!);
    return { code: back.searchParams.get('code'), state: back.searchParams.get('state')! };
  }

  it('allowed again: the session goes on to its returnTo, the same id, and the new code is never exchanged', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const first = await browser.authorize({ user: 'alice', scope: 'snsapi_userinfo', returnTo: '/profile' });
    await browser.post('/api/auth/wechat/login', { code: first.code, state: first.state });
    await browser.bind('13800138000', bff.inbox);
    const session = browser.cookies.get('__Host-wxauth_sid');

    const again = await allowAgain(bff, first.wechatUrl, 'alice');
    expect(again.state).toBe(first.state);
    const res = await browser.post('/api/auth/wechat/login', again);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ next: 'home', returnTo: '/profile' });
    expect(browser.cookies.get('__Host-wxauth_sid')).toBe(session);
    expect(await (await browser.request('/api/session')).json()).toMatchObject({ bound: true });
    expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
  });

  it('before binding: back to the bind step, with the same session', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    const first = await browser.authorize({ user: 'alice', scope: 'snsapi_userinfo', returnTo: '/bind' });
    await browser.post('/api/auth/wechat/login', { code: first.code, state: first.state });
    const session = browser.cookies.get('__Host-wxauth_sid');
    const res = await browser.post('/api/auth/wechat/login', await allowAgain(bff, first.wechatUrl, 'alice'));
    expect(await res.json()).toEqual({ next: 'bind', returnTo: '/bind' });
    expect(browser.cookies.get('__Host-wxauth_sid')).toBe(session);
  });

  it('a state unknown or long expired, the same: the signed-in user is not shown an error', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.loginAndBind('alice', '13800138000', bff.inbox);
    const other = await bff.browser().authorize({ user: 'mallory' });
    const res = await browser.post('/api/auth/wechat/login', { code: other.code, state: 'A'.repeat(32) });
    expect(await res.json()).toEqual({ next: 'home', returnTo: '/' });
    // Mallory's code was not used: this browser is still alice's, and WeChat saw one exchange (alice's).
    expect(await (await browser.request('/api/session')).json()).toMatchObject({ bound: true });
    expect((await bff.simStats())['/sns/oauth2/access_token']).toBe(1);
  });

  it("a fresh state that is another browser's is still refused", async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.loginAndBind('alice', '13800138000', bff.inbox);
    const stolen = await bff.browser().authorize({ user: 'mallory' });
    const res = await browser.post('/api/auth/wechat/login', { code: stolen.code, state: stolen.state });
    expect(await errorCode(res)).toBe('STATE_INVALID');
  });
});
