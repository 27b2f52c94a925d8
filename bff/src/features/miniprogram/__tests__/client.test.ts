import type { ApiError } from '@wxauth/client';
import { miniProgramClient, TOKEN_KEY, type MiniProgramApi, type UniRequestOptions } from '@wxauth/client';
import { describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN, MINIPROGRAM, startBff, type Bff, type TestOptions } from '../../../__tests__/harness.js';

/**
 * WeChat's client in a mini program, the only stand-in: `wx.login` asks the simulator's stand-in for a
 * code, `wx.request` is an HTTP request to the real BFF, storage is the mini program's. The getPhoneNumber
 * button is `tapPhoneButton`.
 */
function wechatClient(bff: Bff, user: string) {
  const storage = new Map<string, unknown>();
  const sim = async (path: string, body: object) =>
    (await (
      await fetch(bff.simOrigin + path, {
        method: 'POST',
        body: JSON.stringify({ appid: MINIPROGRAM.appid, user, ...body }),
      })
    ).json()) as { code?: string; errMsg: string };
  const wx: MiniProgramApi = {
    login: ({ success, fail }) => void sim('/__sim/mp/login', {}).then(success, fail),
    request: (o: UniRequestOptions) => {
      fetch(o.url, {
        method: o.method,
        headers: o.header,
        body: o.data === undefined ? undefined : JSON.stringify(o.data),
      })
        .then(async (res) => {
          const text = await res.text();
          // wx.request hands a body that is not JSON over as a string.
          let data: unknown = text;
          try {
            data = JSON.parse(text);
          } catch {
            // as is
          }
          o.success({ statusCode: res.status, data });
        })
        .catch(o.fail);
    },
    getStorageSync: (key) => storage.get(key) ?? '',
    setStorageSync: (key, value) => {
      bff.secrets.add(value);
      storage.set(key, value);
    },
    removeStorageSync: (key) => void storage.delete(key),
  };
  return {
    wx,
    storage,
    /** `<button open-type="getPhoneNumber">` tapped: its bindgetphonenumber event's detail. */
    tapPhoneButton: (opts: { phone?: string; decision?: 'deny' } = {}) => sim('/__sim/mp/phone-code', opts),
  };
}

describe.each<[string, TestOptions]>([
  ['SQLite', {}],
  ['MariaDB and Redis', { mysql: true, redis: true }],
])('@wxauth/client in a mini program, against the real BFF and simulator (%s)', (_name, options) => {
  it('new user → the phone in one tap → home; the next launch goes home at once', async () => {
    const bff = await startBff(options);
    const wechat = wechatClient(bff, 'ann');
    const client = miniProgramClient({ baseUrl: bff.origin, api: wechat.wx });
    expect(await client.session()).toBeNull();
    expect(await client.miniProgramLogin()).toStrictEqual({ next: 'bind', token: expect.any(String) });
    expect(await client.session()).toMatchObject({ bound: false });

    const detail = await wechat.tapPhoneButton({ phone: '13712340001' });
    expect(detail.errMsg).toBe('getPhoneNumber:ok');
    // Exactly what MpSignedIn types, nothing beyond it (the type is all an app sees).
    expect(await client.bindByWechatPhone(detail.code!)).toStrictEqual({ next: 'home', token: expect.any(String) });
    expect(await client.session()).toMatchObject({ bound: true, user: { phone: '137****0001' } });

    // The next launch: a new client over the same storage holds the session.
    const again = miniProgramClient({ baseUrl: bff.origin, api: wechat.wx });
    expect(again.hasToken()).toBe(true);
    expect(await again.session()).toMatchObject({ bound: true });
    expect((await again.miniProgramLogin()).next).toBe('home');
  });

  it('no phone on WeChat, or a refusal: no code, and SMS binds instead', async () => {
    const bff = await startBff(options);
    const wechat = wechatClient(bff, 'nophone-bo');
    const client = miniProgramClient({ baseUrl: bff.origin, api: wechat.wx });
    await client.miniProgramLogin();
    expect(await wechat.tapPhoneButton()).toEqual({ errMsg: 'getPhoneNumber:fail user deny' });
    await client.sendSms('13712340002');
    // The H5 app's binding on the bearer session: its BindResult with the new token; returnTo is "/".
    expect(await client.bindPhone('13712340002', bff.inbox.get('13712340002')!)).toStrictEqual({
      next: 'home',
      returnTo: '/',
      token: expect.any(String),
    });
    expect(await client.session()).toMatchObject({ bound: true });
  });

  it('the same person through H5 first, then the mini program: one customer', async () => {
    const bff = await startBff(options);
    const browser = bff.browser();
    await browser.login({ user: 'cy', scope: 'snsapi_userinfo' });
    await browser.bind('13712340003', bff.inbox);
    const client = miniProgramClient({ baseUrl: bff.origin, api: wechatClient(bff, 'cy').wx });
    expect((await client.miniProgramLogin()).next).toBe('home');
    expect(await client.session()).toMatchObject({ bound: true, user: { phone: '137****0003' } });
  });

  it('revoked by the host: the next call is a 401, the token is forgotten, onUnauthorized hears it', async () => {
    const bff = await startBff(options);
    const wechat = wechatClient(bff, 'dee');
    const heard: string[] = [];
    const client = miniProgramClient({
      baseUrl: bff.origin,
      api: wechat.wx,
      onUnauthorized: (e) => heard.push(e.code),
    });
    await client.miniProgramLogin();
    await client.bindByWechatPhone((await wechat.tapPhoneButton()).code!);
    const { ref } = await bff.db.selectFrom('customers').select('ref').executeTakeFirstOrThrow();
    bff.advance(1);
    await fetch(`${bff.origin}/internal/customers/${ref}/revoke-wechat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    const failure = await client.sendSms('13712340004').catch((e: ApiError) => e);
    expect(failure).toMatchObject({ status: 401, code: 'SESSION_REQUIRED' });
    expect(heard).toEqual(['SESSION_REQUIRED']);
    expect(wechat.storage.has(TOKEN_KEY)).toBe(false);
    bff.advance(1);
    expect((await client.miniProgramLogin()).next).toBe('bind');
  });

  it('WeChat’s errors reach the page as ApiErrors with clear codes', async () => {
    const bff = await startBff(options);
    const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as ApiError).code;
    const risky = miniProgramClient({ baseUrl: bff.origin, api: wechatClient(bff, 'risky-eve').wx });
    expect(await code(risky.miniProgramLogin())).toBe('WECHAT_RISKY_USER');
    const client = miniProgramClient({ baseUrl: bff.origin, api: wechatClient(bff, 'fin').wx });
    await bff.fault({ path: '/sns/jscode2session', errcode: 45011 });
    expect(await code(client.miniProgramLogin())).toBe('WECHAT_RATE_LIMITED');
    await bff.fault({ path: '/sns/jscode2session', errcode: -1, times: 2 });
    expect(await code(client.miniProgramLogin())).toBe('WECHAT_BUSY');
    expect(await code(client.mpLogin('madeUpCode'))).toBe('CODE_INVALID');
    await client.miniProgramLogin();
    expect(await code(client.bindByWechatPhone('madeUpCode'))).toBe('PHONE_CODE_INVALID');
  });
});
