import { describe, expect, it } from 'vitest';
import { LONE, OA, startSim } from './helpers.js';

describe('global access_token and jsapi_ticket', () => {
  const stable = (get: (p: string, i?: RequestInit) => Promise<Response>, body: Record<string, unknown>) =>
    get('/cgi-bin/stable_token', {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', ...body }),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);

  it('cgi-bin/token: each fetch is a new token; the one it replaces works 5 more minutes (then 40001)', async () => {
    const { api, advance } = await startSim();
    const params = { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret };
    const first = await api('/cgi-bin/token', params);
    const second = await api('/cgi-bin/token', params);
    expect(second.access_token).not.toBe(first.access_token);
    // 获取稳定版接口调用凭据 and JS-SDK: letters, digits, - and _; an access_token of 136 characters or more.
    expect(first.access_token).toMatch(/^[A-Za-z0-9_-]{136}$/);
    const ticket = (token: unknown) => api('/cgi-bin/ticket/getticket', { access_token: String(token), type: 'jsapi' });
    expect(await ticket(first.access_token)).toMatchObject({
      errcode: 0,
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
      expires_in: 7200,
    });
    advance(5 * 60_000 + 1);
    expect(await ticket(first.access_token)).toMatchObject({ errcode: 42001 });
    expect(await ticket(second.access_token)).toMatchObject({ errcode: 0 });
    expect(await ticket('nope')).toMatchObject({ errcode: 40001 });
    expect(await api('/cgi-bin/token', { ...params, secret: 'x' })).toMatchObject({ errcode: 40125 });
  });

  it('stable_token: the same token while valid, a new one when forced (20 a day)', async () => {
    const { get, advance } = await startSim();
    const a = await stable(get, { appid: OA.appid, secret: OA.secret });
    const b = await stable(get, { appid: OA.appid, secret: OA.secret });
    expect(b.access_token).toBe(a.access_token);
    advance(60_000);
    expect((await stable(get, { appid: OA.appid, secret: OA.secret })).expires_in).toBe(7140);
    const forced = await stable(get, { appid: OA.appid, secret: OA.secret, force_refresh: true });
    expect(forced.access_token).not.toBe(a.access_token);
    for (let i = 1; i < 20; i++) {
      advance(30_000);
      await stable(get, { appid: OA.appid, secret: OA.secret, force_refresh: true });
    }
    advance(30_000);
    expect(await stable(get, { appid: OA.appid, secret: OA.secret, force_refresh: true })).toMatchObject({
      errcode: 45009,
    });
    expect(await stable(get, { appid: LONE.appid, secret: 'wrong' })).toMatchObject({ errcode: 40125 });
  });

  // 获取稳定版接口调用凭据: "与 getAccessToken 获取的调用凭证完全隔离，互不影响".
  it('stable_token and cgi-bin/token are two separate lines: neither replaces the other', async () => {
    const { api, get, advance } = await startSim();
    const params = { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret };
    const ticket = (token: unknown) => api('/cgi-bin/ticket/getticket', { access_token: String(token), type: 'jsapi' });
    const stableOne = await stable(get, { appid: OA.appid, secret: OA.secret });
    const plain = await api('/cgi-bin/token', params);
    expect(plain.access_token).not.toBe(stableOne.access_token);
    expect((await stable(get, { appid: OA.appid, secret: OA.secret })).access_token).toBe(stableOne.access_token);
    const forced = await stable(get, { appid: OA.appid, secret: OA.secret, force_refresh: true });
    advance(5 * 60_000 + 1);
    expect(await ticket(plain.access_token)).toMatchObject({ errcode: 0 });
    expect(await ticket(forced.access_token)).toMatchObject({ errcode: 0 });
    await api('/cgi-bin/token', params);
    advance(5 * 60_000 + 1);
    expect(await ticket(forced.access_token)).toMatchObject({ errcode: 0 });
    expect(await ticket(plain.access_token)).toMatchObject({ errcode: 42001 });
  });

  // 获取稳定版接口调用凭据: force_refresh at most 20 a day and at least 30 s apart; sooner is 45011.
  it('stable_token: a forced refresh within 30 s of the last one is 45011, and does not use up the day', async () => {
    const { get, advance } = await startSim();
    const force = () => stable(get, { appid: OA.appid, secret: OA.secret, force_refresh: true });
    const first = await force();
    expect(first.access_token).toEqual(expect.any(String));
    advance(29_999);
    expect(await force()).toMatchObject({
      errcode: 45011,
      errmsg: expect.stringMatching(/^api minute-quota reach limit mustslower retry next minute/),
    });
    // A normal call in between is not a refresh: still the forced token.
    expect((await stable(get, { appid: OA.appid, secret: OA.secret })).access_token).toBe(first.access_token);
    advance(1);
    const second = await force();
    expect(second.access_token).toEqual(expect.any(String));
    expect(second.access_token).not.toBe(first.access_token);
    for (let i = 2; i < 20; i++) {
      advance(30_000);
      expect((await force()).access_token).toEqual(expect.any(String));
    }
  });

  // 获取稳定版接口调用凭据: normal mode renews the token in the last 5 minutes of its life.
  it('stable_token: a normal call in the last 5 minutes gets a new token; the old one works until it expires', async () => {
    const { get, api, advance } = await startSim();
    const normal = () => stable(get, { appid: OA.appid, secret: OA.secret });
    const ticket = (token: unknown) => api('/cgi-bin/ticket/getticket', { access_token: String(token), type: 'jsapi' });
    const old = await normal();
    advance(7200_000 - 5 * 60_000 - 1000);
    expect(await normal()).toEqual({ access_token: old.access_token, expires_in: 301 });
    advance(1000);
    const renewed = await normal();
    expect(renewed).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    expect(renewed.access_token).not.toBe(old.access_token);
    expect((await normal()).access_token).toBe(renewed.access_token);
    advance(300_000 - 1);
    expect(await ticket(old.access_token)).toMatchObject({ errcode: 0 });
    advance(1);
    expect(await ticket(old.access_token)).toMatchObject({ errcode: 42001 });
    expect(await ticket(renewed.access_token)).toMatchObject({ errcode: 0 });
  });

  // JS-SDK说明文档 附录1: the jsapi_ticket lives 7200 s and must be cached, "频繁刷新jsapi_ticket会导致api调用受限".
  // One ticket per app: asked again while it is valid (with any live token of the app), WeChat hands out the
  // same ticket with the time it has left; a new one only once it has expired.
  it('getticket: the same ticket while it is valid, with the time it has left; a new one after', async () => {
    const { api, get, advance } = await startSim();
    const ticket = (token: unknown) => api('/cgi-bin/ticket/getticket', { access_token: String(token), type: 'jsapi' });
    const token = (await stable(get, { appid: OA.appid, secret: OA.secret })).access_token;
    const first = await ticket(token);
    expect(first).toMatchObject({ errcode: 0, expires_in: 7200 });
    advance(60_000);
    const plain = await api('/cgi-bin/token', { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret });
    expect(await ticket(plain.access_token)).toMatchObject({ ticket: first.ticket, expires_in: 7140 });
    const other = await stable(get, { appid: LONE.appid, secret: LONE.secret });
    expect((await ticket(other.access_token)).ticket).not.toBe(first.ticket);
    advance(7140_000 - 1000);
    const late = (await stable(get, { appid: OA.appid, secret: OA.secret })).access_token;
    expect(await ticket(late)).toMatchObject({ ticket: first.ticket, expires_in: 1 });
    advance(1000);
    const next = await ticket(late);
    expect(next).toMatchObject({ errcode: 0, expires_in: 7200 });
    expect(next.ticket).not.toBe(first.ticket);
  });
});
