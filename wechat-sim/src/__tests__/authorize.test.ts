import { describe, expect, it } from 'vitest';
import { authorizeParams, LONE, startSim, WEB } from './helpers.js';

const errcodeOf = async (res: Response) => /data-errcode="(-?\d+)"/.exec(await res.text())?.[1];

describe('/connect/oauth2/authorize', () => {
  it('snsapi_base sends the user straight back with code and state, before any fragment', async () => {
    const { authorize } = await startSim();
    const res = await authorize(authorizeParams({ redirect_uri: 'https://h5.example.com/auth?from=x#/tab' }));
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^https:\/\/h5\.example\.com\/auth\?from=x&code=[A-Za-z0-9]{32}&state=abc123#\/tab$/);
  });

  // 网页授权 · 快照页模式: a page opened from 朋友圈 that asks for snsapi_userinfo shows the snapshot page,
  // with no consent page, and its code gives a virtual identity (is_snapshotuser: 1).
  it('snapshot-page users get their code for snsapi_userinfo with no consent page', async () => {
    const { authorize, exchange } = await startSim();
    const res = await authorize(authorizeParams({ scope: 'snsapi_userinfo' }), 'snapshot-1');
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    expect(await exchange(code)).toMatchObject({ is_snapshotuser: 1, scope: 'snsapi_userinfo' });
  });

  // 网页授权: "对于已关注公众号的用户，如果用户从公众号的会话或者自定义菜单进入本公众号的网页授权页，即使是scope为
  // snsapi_userinfo，也是静默授权". The simulator's followers entering that way are the ids starting follower-.
  it('followers get their snsapi_userinfo code with no consent page, and their real identity', async () => {
    const { authorize, exchange, api } = await startSim();
    const res = await authorize(authorizeParams({ scope: 'snsapi_userinfo' }), 'follower-1');
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const t = await exchange(code);
    expect(t).toMatchObject({ scope: 'snsapi_userinfo', unionid: expect.any(String) });
    expect(t).not.toHaveProperty('is_snapshotuser');
    expect(
      await api('/sns/userinfo', { access_token: String(t.access_token), openid: String(t.openid) }),
    ).toMatchObject({ openid: t.openid, unionid: t.unionid });
  });

  it.each([
    ['a sibling host', 'https://pay.example.com/auth'],
    ['the parent domain', 'https://example.com/auth'],
    ['a subdomain of it', 'https://a.h5.example.com/auth'],
    ['a port', 'https://h5.example.com:8443/auth'],
    ['a host that only starts with it', 'https://h5.example.com.evil.com/auth'],
    ['userinfo trick', 'https://h5.example.com@evil.com/auth'],
    ['a non-http scheme', 'javascript://h5.example.com/%0aalert(1)'],
    ['no URL at all', 'h5.example.com/auth'],
  ])('refuses %s with 10003', async (_, redirect) => {
    const { authorize } = await startSim();
    const res = await authorize(authorizeParams({ redirect_uri: redirect }));
    expect(res.status).toBe(200);
    expect(await errcodeOf(res)).toBe('10003');
  });

  it('accepts a port only when told to allow them for local use', async () => {
    const { authorize } = await startSim({ allowPorts: true });
    const res = await authorize(authorizeParams({ redirect_uri: 'http://h5.example.com:8080/auth' }));
    expect(res.status).toBe(302);
  });

  it('matches the host without regard to case', async () => {
    const { authorize } = await startSim();
    const res = await authorize(authorizeParams({ redirect_uri: 'https://H5.Example.com/auth' }));
    expect(res.status).toBe(302);
  });

  it.each([
    ['no appid', { appid: '' }, '10012'],
    ['no redirect_uri', { redirect_uri: '' }, '10011'],
    ['no scope', { scope: '' }, '10010'],
    ['a scope the account lacks', { scope: 'snsapi_login' }, '10005'],
    ['a website appid', { appid: WEB.appid }, '10016'],
  ])('refuses %s with its error code', async (_, override, code) => {
    const { authorize } = await startSim();
    expect(await errcodeOf(await authorize(authorizeParams(override)))).toBe(code);
  });

  // 网页授权 documents the parameter order and state's characters but not what WeChat does otherwise:
  // the simulator refuses, and its page says the check is its own, and why.
  it("says on the page when a refusal is the simulator's own, stricter than WeChat, and why", async () => {
    const { authorize, get } = await startSim();
    const badState = await (await authorize(authorizeParams({ state: 'has-dash' }))).text();
    expect(badState).toContain('这是模拟器的检查，比微信严格');
    const p = authorizeParams();
    const reordered = new URLSearchParams({
      redirect_uri: p.redirect_uri,
      appid: p.appid,
      response_type: 'code',
      scope: 'snsapi_base',
      state: 's',
    });
    const page = await (await get(`/connect/oauth2/authorize?${reordered}`)).text();
    expect(page).toContain('参数顺序错误');
    expect(page).toContain('这是模拟器的检查，比微信严格');
  });

  it('refuses an unknown appid, a bad response_type, a bad state and a wrong parameter order', async () => {
    const { authorize, get } = await startSim();
    for (const res of [
      await authorize(authorizeParams({ appid: 'wx9999999999999999' })),
      await authorize(authorizeParams({ response_type: 'token' })),
      await authorize(authorizeParams({ state: 'has-dash' })),
      await authorize(authorizeParams({ state: 'x'.repeat(129) })),
      await get(
        `/connect/oauth2/authorize?redirect_uri=https%3A%2F%2Fh5.example.com%2F&appid=${LONE.appid}&response_type=code&scope=snsapi_base`,
      ),
    ]) {
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Oops');
    }
  });

  it('snsapi_userinfo shows a consent page; 拒绝 returns the state and no code', async () => {
    const { authorize, get } = await startSim();
    const consent = await authorize(authorizeParams({ scope: 'snsapi_userinfo' }), 'bob');
    const page = await consent.text();
    expect(page).toContain('允许');
    expect(page).toContain('拒绝');
    expect(page).toContain('测试公众号');
    const form = new URLSearchParams(
      [...page.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [
        m[1]!,
        m[2]!.replaceAll('&#38;', '&'),
      ]),
    );
    form.set('decision', 'deny');
    const denied = await get('/connect/oauth2/authorize/confirm', { method: 'POST', body: form });
    expect(denied.headers.get('location')).toBe('https://h5.example.com/auth?from=x&state=abc123');
    form.set('decision', 'allow');
    const allowed = await get('/connect/oauth2/authorize/confirm', { method: 'POST', body: form });
    expect(allowed.headers.get('location')).toMatch(/\?from=x&code=[A-Za-z0-9]{32}&state=abc123$/);
  });

  it('remembers the simulated user in a cookie set by the wxsim_user parameter', async () => {
    const { authorize } = await startSim();
    const res = await authorize(authorizeParams(), 'carol');
    expect(res.headers.get('set-cookie')).toMatch(/^wxsim_user=carol; Path=\//);
  });
});

describe('/connect/qrconnect', () => {
  const qr = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      appid: WEB.appid,
      redirect_uri: 'https://www.example.com/login/callback',
      response_type: 'code',
      scope: 'snsapi_login',
      state: 'pc1',
      ...overrides,
    });

  it('shows a QR page whose scan-and-confirm sends the user back with a code for the website app', async () => {
    const { get, exchange } = await startSim();
    const page = await (await get(`/connect/qrconnect?${qr()}&wxsim_user=dave`)).text();
    expect(page).toContain('模拟扫码并确认登录');
    const form = new URLSearchParams(
      [...page.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [
        m[1]!,
        m[2]!.replaceAll('&#47;', '/'),
      ]),
    );
    const back = await get('/connect/qrconnect/confirm', { method: 'POST', body: form });
    const location = new URL(back.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://www.example.com/login/callback');
    expect(location.searchParams.get('state')).toBe('pc1');
    const tokens = await exchange(location.searchParams.get('code')!, WEB);
    expect(tokens).toMatchObject({ scope: 'snsapi_login', unionid: expect.any(String) });
  });

  it.each([
    ['an Official Account appid', { appid: LONE.appid }],
    ['another host', { redirect_uri: 'https://evil.com/cb' }],
    ['another scope', { scope: 'snsapi_base' }],
  ])('refuses %s', async (_, override) => {
    const { get } = await startSim();
    expect(await (await get(`/connect/qrconnect?${qr(override)}`)).text()).toContain('Oops');
  });
});
