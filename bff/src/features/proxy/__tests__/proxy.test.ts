import { unavailable } from '../../../platform/errors.js';
import { describe, expect, it } from 'vitest';
import { APP, simForm, startBff, WEBSITE, type Bff } from '../../../__tests__/harness.js';

const link = (params: Record<string, string>) => `/wx-proxy/?${new URLSearchParams(params)}`;
const MOBILE = {
  appid: APP.appid,
  redirect_uri: 'https://passport.example.com/cb?x=1#frag',
  response_type: 'code',
  scope: 'snsapi_base',
  state: 'caller state/1',
};

/** Requests reach the BFF through nginx on the proxy's public host (WX_PROXY_PUBLIC_URL). */
const BEHIND_NGINX = { env: { TRUST_PROXY: 'loopback' } };
const PUBLIC_HOST = { 'x-forwarded-host': 'h5.example.com', 'x-forwarded-proto': 'https' };

/** The proxy-browser cookie each test's one browser holds. */
const jars = new WeakMap<Bff, string>();

async function start(bff: Bff, params: Record<string, string>, headers: Record<string, string> = {}) {
  const cookie = jars.get(bff);
  const res = await fetch(bff.origin + link(params), {
    redirect: 'manual',
    headers: { ...PUBLIC_HOST, ...headers, ...(cookie ? { cookie } : {}) },
  });
  const set = res.headers.getSetCookie().find((c) => c.includes('wxproxy_b='));
  if (set) jars.set(bff, set.split(';')[0]!);
  return res;
}

/** WeChat's part: the user at the simulator, sent back to the proxy's callback. */
async function wechat(bff: Bff, location: string, user = 'alice', decision?: 'allow' | 'deny') {
  const url = new URL(location.replace(/#wechat_redirect$/, ''));
  url.searchParams.set('wxsim_user', user);
  let res = await fetch(url, { redirect: 'manual' });
  if (res.status === 200) {
    const page = await res.text();
    const form = simForm(page);
    if (decision) form.set('decision', decision);
    const action = url.pathname.includes('qrconnect')
      ? '/connect/qrconnect/confirm'
      : '/connect/oauth2/authorize/confirm';
    res = await fetch(bff.simOrigin + action, { method: 'POST', body: form, redirect: 'manual' });
  }
  const back = new URL(res.headers.get('location')!);
  expect(back.origin + back.pathname).toBe('https://h5.example.com/wx-proxy/callback');
  return back;
}

const relay = (bff: Bff, back: URL, cookie: string | undefined = jars.get(bff)) =>
  fetch(`${bff.origin}/wx-proxy/callback${back.search}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

describe('/wx-proxy/', () => {
  it("forwards a php_weixin_proxy link to WeChat: its own callback and state, WeChat's order, #wechat_redirect", async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, MOBILE);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(
      new RegExp(
        `^${bff.simOrigin}/connect/oauth2/authorize\\?appid=${APP.appid}` +
          '&redirect_uri=https%3A%2F%2Fh5\\.example\\.com%2Fwx-proxy%2Fcallback&response_type=code&scope=snsapi_base' +
          '&state=[A-Za-z0-9]{32}#wechat_redirect$',
      ),
    );
  });

  it("relays the code and the caller's own state to the original redirect_uri, before its #fragment", async () => {
    const bff = await startBff(BEHIND_NGINX);
    const back = await wechat(bff, (await start(bff, MOBILE)).headers.get('location')!);
    const res = await relay(bff, back);
    expect(res.status).toBe(302);
    const code = back.searchParams.get('code')!;
    expect(res.headers.get('location')).toBe(
      `https://passport.example.com/cb?x=1&code=${code}&state=caller%20state%2F1#frag`,
    );
  });

  it('ties each record to the browser that started it: a callback in another browser gets a page', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, MOBILE);
    const cookie = res.headers.getSetCookie().find((c) => c.includes('wxproxy_b='))!;
    // The proxy's origin is https here (WX_PROXY_PUBLIC_URL): the cookie is pinned to it.
    expect(cookie).toMatch(
      /^__Host-wxproxy_b=[A-Za-z0-9_-]{22,}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/,
    );
    const back = await wechat(bff, res.headers.get('location')!);
    for (const other of ['', '__Host-wxproxy_b=AAAAAAAAAAAAAAAAAAAAAA', 'wxproxy_b=' + jars.get(bff)!.split('=')[1]]) {
      const stolen = await relay(bff, back, other);
      expect(stolen.status).toBe(400);
      expect(stolen.headers.get('location')).toBeNull();
      expect(await stolen.text()).toContain('同一个浏览器');
    }
    // The browser that started it still finishes, once.
    expect((await relay(bff, back)).status).toBe(302);
    expect((await relay(bff, back)).status).toBe(400);
  });

  it("a link that reaches another host of ours is sent to the proxy's public host first, as it is", async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, MOBILE, { 'x-forwarded-host': 'www.example.com' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`https://h5.example.com${link(MOBILE)}`);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('two flows in one browser keep one cookie, and both finish', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const first = await start(bff, MOBILE);
    const second = await start(bff, { ...MOBILE, state: 'two' });
    expect(
      second.headers
        .getSetCookie()
        .find((c) => c.includes('wxproxy_b='))!
        .split(';')[0],
    ).toBe(
      first.headers
        .getSetCookie()
        .find((c) => c.includes('wxproxy_b='))!
        .split(';')[0],
    );
    const backs = [
      await wechat(bff, first.headers.get('location')!),
      await wechat(bff, second.headers.get('location')!),
    ];
    for (const back of backs) expect((await relay(bff, back)).status).toBe(302);
  });

  it('never sends WeChat an http callback when the site is https, whatever reached the BFF', async () => {
    // No WX_PROXY_PUBLIC_URL: the host comes from the request, which nginx says came over http (TLS
    // ended in front of it).
    const bff = await startBff({ env: { WX_PROXY_PUBLIC_URL: '', TRUST_PROXY: 'loopback' } });
    const res = await start(bff, MOBILE, { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h5.example.com' });
    const redirectUri = new URL(res.headers.get('location')!.replace(/#.*$/, '')).searchParams.get('redirect_uri');
    expect(redirectUri).toBe('https://h5.example.com/wx-proxy/callback');
  });

  it('the record is single use and lives 10 minutes: a replay or a late callback gets a page, never a redirect', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const back = await wechat(bff, (await start(bff, MOBILE)).headers.get('location')!);
    expect((await relay(bff, back)).status).toBe(302);
    const replay = await relay(bff, back);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toContain('已失效或已使用');

    const late = await wechat(bff, (await start(bff, MOBILE)).headers.get('location')!);
    bff.advance(10 * 60_000 + 1);
    expect((await relay(bff, late)).status).toBe(400);
  });

  it('answers with a page, not JSON, when the state store is down', async () => {
    const bff = await startBff(BEHIND_NGINX);
    bff.kv.set = () => Promise.reject(unavailable('state'));
    const res = await start(bff, MOBILE);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('服务暂时不可用');
  });

  it("relays a refusal (state, no code) with the caller's state alone", async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, { ...MOBILE, scope: 'snsapi_userinfo' });
    const back = await wechat(bff, res.headers.get('location')!, 'alice', 'deny');
    expect(back.searchParams.has('code')).toBe(false);
    expect((await relay(bff, back)).headers.get('location')).toBe(
      'https://passport.example.com/cb?x=1&state=caller%20state%2F1#frag',
    );
  });

  it('device=pc goes to qrconnect with snsapi_login and the website appid', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, {
      appid: WEBSITE.appid,
      redirect_uri: 'https://www.shop.example.com/login',
      response_type: 'code',
      scope: 'snsapi_login',
      state: 'pc',
      device: 'pc',
    });
    expect(res.headers.get('location')).toMatch(
      new RegExp(
        `^${bff.simOrigin}/connect/qrconnect\\?appid=${WEBSITE.appid}&redirect_uri=[^&]+&response_type=code&scope=snsapi_login&state=\\w{32}#wechat_redirect$`,
      ),
    );
    const back = await wechat(bff, res.headers.get('location')!);
    expect((await relay(bff, back)).headers.get('location')).toMatch(
      /^https:\/\/www\.shop\.example\.com\/login\?code=\w{32}&state=pc$/,
    );
  });

  it('two tabs, called back in reverse order, each reach their own target', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const first = await wechat(bff, (await start(bff, { ...MOBILE, state: 'tab1' })).headers.get('location')!);
    const second = await wechat(
      bff,
      (await start(bff, { ...MOBILE, redirect_uri: 'https://a.shop.example.com/x', state: 'tab2' })).headers.get(
        'location',
      )!,
    );
    expect((await relay(bff, second)).headers.get('location')).toMatch(
      /^https:\/\/a\.shop\.example\.com\/x\?code=\w+&state=tab2$/,
    );
    expect((await relay(bff, first)).headers.get('location')).toMatch(
      /^https:\/\/passport\.example\.com\/cb\?x=1&code=\w+&state=tab1#frag$/,
    );
  });

  it.each([
    ['no appid', { appid: '' }, '缺少 appid'],
    ['an unknown appid', { appid: 'wx9999999999999999' }, '不是本代理配置的公众号 appid'],
    ['the website appid without device=pc', { appid: WEBSITE.appid }, '不是本代理配置的公众号 appid'],
    ['the OA appid with device=pc', { device: 'pc' }, '网站应用'],
    ['snsapi_login on mobile', { scope: 'snsapi_login' }, 'scope snsapi_login 不受支持'],
    ['response_type=token', { response_type: 'token' }, 'response_type 只能是 code'],
    ['a host not allowed', { redirect_uri: 'https://evil.com/cb' }, '不在 WX_PROXY_ALLOWED_HOSTS 中'],
    ['the apex of a .suffix', { redirect_uri: 'https://shop.example.com/cb' }, '不在 WX_PROXY_ALLOWED_HOSTS 中'],
    ['http', { redirect_uri: 'http://passport.example.com/cb' }, '须使用 https'],
    ['userinfo', { redirect_uri: 'https://passport.example.com@evil.com/' }, '用户名或密码'],
  ])('refuses %s with a page saying what is wrong, never a redirect', async (_, override, says) => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await start(bff, { ...MOBILE, ...override });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain(says);
  });

  it('refuses a parameter sent twice', async () => {
    const bff = await startBff(BEHIND_NGINX);
    const res = await fetch(`${bff.origin}${link(MOBILE)}&redirect_uri=https%3A%2F%2Fevil.com`, {
      redirect: 'manual',
      headers: PUBLIC_HOST,
    });
    expect(res.status).toBe(400);
  });

  it("builds its callback from the trusted proxy's X-Forwarded-Proto and -Host, without the port", async () => {
    const bff = await startBff({ env: { WX_PROXY_PUBLIC_URL: '', TRUST_PROXY: 'loopback' } });
    const res = await start(bff, MOBILE, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'h5.example.com:8443' });
    expect(res.headers.get('location')).toContain('redirect_uri=https%3A%2F%2Fh5.example.com%2Fwx-proxy%2Fcallback&');
  });

  it('ignores X-Forwarded-* from anyone but the trusted proxy', async () => {
    const bff = await startBff({ env: { WX_PROXY_PUBLIC_URL: '', PUBLIC_URL: 'http://h5.example.com' } });
    const res = await start(bff, MOBILE, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.com' });
    expect(res.headers.get('location')).toContain('redirect_uri=http%3A%2F%2F127.0.0.1%2Fwx-proxy%2Fcallback&');
  });
});
