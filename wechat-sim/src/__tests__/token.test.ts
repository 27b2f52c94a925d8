import { describe, expect, it } from 'vitest';
import { LONE, OA, startSim } from './helpers.js';

describe('/sns/oauth2/access_token', () => {
  it('exchanges a code for tokens and a stable openid per app and user', async () => {
    const { codeFor, exchange, sim } = await startSim();
    const reply = await exchange(await codeFor('alice'));
    expect(reply).toMatchObject({ expires_in: 7200, scope: 'snsapi_base', openid: sim.openidOf(OA.appid, 'alice') });
    expect(reply.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    // 网页授权: tokens in WeChat's alphabet (letters, digits, - and _) and at its lengths.
    expect(reply.access_token).toMatch(/^[A-Za-z0-9_-]{136}$/);
    expect(reply.refresh_token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(reply).not.toHaveProperty('unionid');
    expect(reply).not.toHaveProperty('is_snapshotuser');
    expect((await exchange(await codeFor('alice'))).openid).toBe(reply.openid);
    expect((await exchange(await codeFor('bob'))).openid).not.toBe(reply.openid);
    expect(sim.openidOf(LONE.appid, 'alice')).not.toBe(reply.openid);
  });

  it('gives a unionid only for snsapi_userinfo on an Open Platform account', async () => {
    const { codeFor, exchange } = await startSim();
    const first = await exchange(await codeFor('alice', 'snsapi_userinfo'));
    expect(first.unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect((await exchange(await codeFor('alice', 'snsapi_userinfo'))).unionid).toBe(first.unionid);
    expect((await exchange(await codeFor('bob', 'snsapi_userinfo'))).unionid).not.toBe(first.unionid);
  });

  it('marks snapshot-page users and gives them a virtual openid', async () => {
    const { codeFor, exchange, sim } = await startSim();
    const reply = await exchange(await codeFor('snapshot-1', 'snsapi_userinfo'));
    expect(reply.is_snapshotuser).toBe(1);
    expect(reply).not.toHaveProperty('unionid');
    expect(reply.openid).not.toBe(sim.openidOf(OA.appid, 'snapshot-2'));
  });

  it('refuses a code used twice with 40163', async () => {
    const { codeFor, exchange } = await startSim();
    const code = await codeFor();
    expect(await exchange(code)).toHaveProperty('openid');
    expect(await exchange(code)).toMatchObject({ errcode: 40163, errmsg: expect.stringMatching(/^code been used/) });
  });

  it('refuses a code older than 5 minutes with 42003', async () => {
    const { codeFor, exchange, advance } = await startSim();
    const fresh = await codeFor();
    const stale = await codeFor();
    advance(5 * 60_000);
    expect(await exchange(fresh)).toHaveProperty('openid');
    advance(1);
    expect(await exchange(stale)).toMatchObject({ errcode: 42003 });
  });

  it.each([
    ['missing code', { code: '' }, 41008],
    ['unknown code', { code: 'nope' }, 40029],
    ['wrong secret', { secret: 'wrong' }, 40125],
    ['unknown appid', { appid: 'wx0000000000000000' }, 40013],
    ['bad grant_type', { grant_type: 'password' }, 40002],
  ])('%s → %i', async (_, override, errcode) => {
    const { codeFor, api } = await startSim();
    const params = { appid: OA.appid, secret: OA.secret, code: await codeFor(), grant_type: 'authorization_code' };
    expect(await api('/sns/oauth2/access_token', { ...params, ...override })).toMatchObject({ errcode });
  });

  it("refuses another app's code with 40029", async () => {
    const { codeFor, exchange } = await startSim();
    expect(await exchange(await codeFor(), LONE)).toMatchObject({ errcode: 40029 });
  });
});

describe('user tokens', () => {
  it('userinfo gives nickname and avatar but no sex or region', async () => {
    const { codeFor, exchange, api } = await startSim();
    const tokens = await exchange(await codeFor('alice', 'snsapi_userinfo'));
    const info = await api('/sns/userinfo', {
      access_token: String(tokens.access_token),
      openid: String(tokens.openid),
      lang: 'zh_CN',
    });
    expect(info).toMatchObject({
      openid: tokens.openid,
      nickname: '微信用户alice',
      sex: 0,
      city: '',
      province: '',
      country: '',
      unionid: tokens.unionid,
    });
    expect(info.headimgurl).toMatch(/\/__sim\/avatar\/alice\/132$/);
  });

  it('userinfo refuses an snsapi_base token with 48001 and a wrong openid with 40003', async () => {
    const { codeFor, exchange, api } = await startSim();
    const base = await exchange(await codeFor('alice'));
    expect(
      await api('/sns/userinfo', { access_token: String(base.access_token), openid: String(base.openid) }),
    ).toMatchObject({ errcode: 48001 });
    const full = await exchange(await codeFor('alice', 'snsapi_userinfo'));
    expect(await api('/sns/userinfo', { access_token: String(full.access_token), openid: 'oOther' })).toMatchObject({
      errcode: 40003,
    });
  });

  it('sns/auth checks a token; it expires after 7200 s (42001); refresh_token renews it', async () => {
    const { codeFor, exchange, api, advance } = await startSim();
    const t = await exchange(await codeFor('alice', 'snsapi_userinfo'));
    const check = (token: unknown) => api('/sns/auth', { access_token: String(token), openid: String(t.openid) });
    // 检验授权凭证是否有效: success is exactly {"errcode":0,"errmsg":"ok"}.
    expect(await check(t.access_token)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await check('bogus')).toMatchObject({ errcode: 40001 });
    advance(7201_000);
    expect(await check(t.access_token)).toMatchObject({ errcode: 42001 });
    const renewed = await api('/sns/oauth2/refresh_token', {
      appid: OA.appid,
      grant_type: 'refresh_token',
      refresh_token: String(t.refresh_token),
    });
    expect(renewed).toMatchObject({ openid: t.openid, refresh_token: t.refresh_token, expires_in: 7200 });
    expect(await check(renewed.access_token)).toMatchObject({ errcode: 0 });
    expect(
      await api('/sns/oauth2/refresh_token', { appid: OA.appid, grant_type: 'refresh_token', refresh_token: 'x' }),
    ).toMatchObject({ errcode: 40030 });
    advance(31 * 24 * 3600_000);
    expect(
      await api('/sns/oauth2/refresh_token', {
        appid: OA.appid,
        grant_type: 'refresh_token',
        refresh_token: String(t.refresh_token),
      }),
    ).toMatchObject({ errcode: 42002 });
  });
});

// 网页授权: the sns endpoints answer GET and POST (query or form parameters); any other method is an unknown path.
describe('sns API methods', () => {
  it('answers a POST with form or query parameters as it answers a GET', async () => {
    const { codeFor, get, origin } = await startSim();
    const post = async (path: string, params: Record<string, string>, asForm: boolean) => {
      const form = new URLSearchParams(params);
      const res = asForm
        ? await get(path, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          })
        : await get(`${path}?${form}`, { method: 'POST' });
      return (await res.json()) as Record<string, unknown>;
    };
    const code = await codeFor('alice', 'snsapi_userinfo');
    const exchangeParams = { appid: OA.appid, secret: OA.secret, code, grant_type: 'authorization_code' };
    const t = await post('/sns/oauth2/access_token', exchangeParams, true);
    expect(t).toMatchObject({ openid: expect.any(String), scope: 'snsapi_userinfo' });
    expect(await post('/sns/oauth2/access_token', exchangeParams, false)).toMatchObject({ errcode: 40163 });
    const user = { access_token: String(t.access_token), openid: String(t.openid) };
    expect(await post('/sns/auth', user, true)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post('/sns/auth', user, false)).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(await post('/sns/userinfo', user, true)).toMatchObject({ openid: t.openid });
    const refresh = { appid: OA.appid, grant_type: 'refresh_token', refresh_token: String(t.refresh_token) };
    expect(await post('/sns/oauth2/refresh_token', refresh, false)).toMatchObject({ openid: t.openid });
    expect(await post('/sns/oauth2/refresh_token', refresh, true)).toMatchObject({ openid: t.openid });
    // The body is read only as a form.
    const asJson = await get('/sns/auth', { method: 'POST', body: JSON.stringify(user) });
    expect(await asJson.json()).toMatchObject({ errcode: 40001 });

    const unknown = await fetch(`${origin}/sns/nope`);
    const unknownBody = await unknown.text();
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/sns/oauth2/access_token', '/sns/oauth2/refresh_token', '/sns/userinfo', '/sns/auth']) {
        const res = await get(path, { method });
        expect([res.status, await res.text()]).toEqual([unknown.status, unknownBody]);
      }
    }
  });
});

describe('/__sim control', () => {
  it("a fault can send an endpoint's JSON as text/plain, as some of WeChat's real endpoints do", async () => {
    const { codeFor, get } = await startSim();
    const post = (path: string, body?: unknown) =>
      get(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    expect((await post('/__sim/faults', { path: '/sns/oauth2/access_token', contentType: 'text/plain' })).status).toBe(
      201,
    );
    expect((await post('/__sim/faults', { path: '/sns/auth', contentType: 'application/xml' })).status).toBe(400);
    const code = await codeFor();
    const res = await get(
      `/sns/oauth2/access_token?appid=${OA.appid}&secret=${OA.secret}&code=${code}&grant_type=authorization_code`,
    );
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(((await res.json()) as { openid: string }).openid).toBeTruthy();
  });

  it('counts calls, injects faults for a number of requests, and resets', async () => {
    const { codeFor, exchange, get, api } = await startSim();
    const post = (path: string, body?: unknown) =>
      get(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    expect((await post('/__sim/faults', { path: '/sns/oauth2/access_token', errcode: -1, times: 2 })).status).toBe(201);
    expect((await post('/__sim/faults', { path: '/sns/auth', status: 503 })).status).toBe(201);
    expect((await post('/__sim/faults', { path: '/sns/auth' })).status).toBe(400);
    const code = await codeFor();
    expect(await exchange(code)).toMatchObject({ errcode: -1 });
    expect(await exchange(code)).toMatchObject({ errcode: -1 });
    expect(await exchange(code)).toHaveProperty('openid');
    expect((await get('/sns/auth?access_token=x&openid=y')).status).toBe(503);
    expect(await api('/sns/auth', { access_token: 'x', openid: 'y' })).toMatchObject({ errcode: 40001 });
    expect(await (await get('/__sim/stats')).json()).toEqual({
      calls: { '/connect/oauth2/authorize': 1, '/sns/oauth2/access_token': 3, '/sns/auth': 2 },
    });
    await post('/__sim/reset');
    expect(await (await get('/__sim/stats')).json()).toEqual({ calls: {} });
    expect(await exchange(code)).toMatchObject({ errcode: 40029 });
  });

  it('serves avatars, and a malformed avatar path is a 404', async () => {
    const { get } = await startSim();
    // 网页授权: headimgurl ends in its size, one of 0, 46, 64, 96 and 132 (the default).
    for (const size of [0, 46, 64, 96, 132]) {
      const ok = await get(`/__sim/avatar/alice/${size}`);
      expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    }
    expect((await get('/__sim/avatar/alice/100')).status).toBe(404);
    expect((await get('/__sim/avatar/alice.svg')).status).toBe(404);
    expect((await get('/__sim/avatar/%E0%A4%A/132')).status).toBe(404);
  });

  it('delays an answer', async () => {
    const { get, api } = await startSim();
    await get('/__sim/faults', { method: 'POST', body: JSON.stringify({ path: '/sns/auth', delayMs: 300 }) });
    const started = Date.now();
    await api('/sns/auth', { access_token: 'x', openid: 'y' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
