// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, miniProgramClient, TOKEN_KEY, type MiniProgramApi, type UniRequestOptions } from '../index.js';

/** WeChat's client as a mini program sees it: storage, wx.login, and wx.request answering from a script. */
function fakeWx(answers: Array<{ statusCode: number; data: unknown }>, code: string | null = 'LOGINCODE') {
  const storage = new Map<string, unknown>();
  const requests: UniRequestOptions[] = [];
  const api: MiniProgramApi = {
    login: ({ success, fail }) => (code ? success({ code, errMsg: 'login:ok' }) : fail({ errMsg: 'login:fail' })),
    request: (options) => {
      requests.push(options);
      options.success(answers.shift() ?? { statusCode: 200, data: {} });
    },
    getStorageSync: (key) => storage.get(key) ?? '',
    setStorageSync: (key, value) => void storage.set(key, value),
    removeStorageSync: (key) => void storage.delete(key),
  };
  return { api, storage, requests };
}

afterEach(() => {
  delete (globalThis as { wx?: unknown }).wx;
  delete (globalThis as { uni?: unknown }).uni;
});

describe('miniProgramClient', () => {
  it('logs in with wx.login’s code, keeps the token, and sends it as a bearer from then on', async () => {
    const wx = fakeWx([
      { statusCode: 200, data: { next: 'bind', token: 'T1' } },
      { statusCode: 200, data: { next: 'home', token: 'T2' } },
      { statusCode: 200, data: { bound: true } },
    ]);
    const client = miniProgramClient({ baseUrl: 'https://h5.example.com', api: wx.api });
    expect(client.hasToken()).toBe(false);
    expect(await client.miniProgramLogin()).toEqual({ next: 'bind', token: 'T1' });
    expect(wx.requests[0]).toMatchObject({
      url: 'https://h5.example.com/api/mp/login',
      method: 'POST',
      data: { code: 'LOGINCODE' },
      header: { 'Content-Type': 'application/json' },
    });
    expect(wx.storage.get(TOKEN_KEY)).toBe('T1');
    await client.bindByWechatPhone('PHONECODE');
    expect(wx.requests[1]).toMatchObject({
      url: 'https://h5.example.com/api/mp/phone',
      data: { code: 'PHONECODE' },
      header: { Authorization: 'Bearer T1' },
    });
    // A binding gives a new token: the old one is void, the new one sent.
    expect(wx.storage.get(TOKEN_KEY)).toBe('T2');
    await client.session();
    expect(wx.requests[2]!.header).toEqual({ Authorization: 'Bearer T2' });
  });

  it('forgets the token on logout, unbind and a 401 SESSION_REQUIRED', async () => {
    const expired = { statusCode: 401, data: { error: { code: 'SESSION_REQUIRED', message: '请先登录' } } };
    const wx = fakeWx([{ statusCode: 204, data: '' }, { statusCode: 204, data: '' }, expired]);
    const client = miniProgramClient({ baseUrl: '', api: wx.api });
    for (const call of [() => client.logout(), () => client.unbind()]) {
      wx.storage.set(TOKEN_KEY, 'T');
      await call();
      expect(client.hasToken()).toBe(false);
    }
    wx.storage.set(TOKEN_KEY, 'T');
    expect(await client.sendSms('13800138000').catch((e: ApiError) => e.code)).toBe('SESSION_REQUIRED');
    expect(client.hasToken()).toBe(false);
  });

  it('a failed wx.login is WX_LOGIN_FAILED, and nothing is asked of the BFF', async () => {
    const wx = fakeWx([], null);
    const failure = await miniProgramClient({ baseUrl: '', api: wx.api })
      .miniProgramLogin()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 0, code: 'WX_LOGIN_FAILED' });
    expect(wx.requests).toEqual([]);
  });

  it('the BFF’s errors are ApiErrors with its codes', async () => {
    const risky = { statusCode: 403, data: { error: { code: 'WECHAT_RISKY_USER', message: 'x' } } };
    const wx = fakeWx([risky]);
    const failure = await miniProgramClient({ baseUrl: '', api: wx.api })
      .miniProgramLogin()
      .catch((e: ApiError) => e);
    expect(failure).toMatchObject({ status: 403, code: 'WECHAT_RISKY_USER' });
    expect(wx.storage.has(TOKEN_KEY)).toBe(false);
  });

  it('finds uni first, then wx; says so when there is neither', async () => {
    const uni = fakeWx([{ statusCode: 200, data: { next: 'home', token: 'U' } }]);
    const wx = fakeWx([{ statusCode: 200, data: { next: 'home', token: 'W' } }]);
    Object.assign(globalThis, { wx: wx.api });
    expect(() => miniProgramClient({ baseUrl: '' })).not.toThrow();
    Object.assign(globalThis, { uni: uni.api });
    await miniProgramClient({ baseUrl: '' }).miniProgramLogin();
    expect([uni.requests.length, wx.requests.length]).toEqual([1, 0]);
    delete (globalThis as { wx?: unknown }).wx;
    delete (globalThis as { uni?: unknown }).uni;
    expect(() => miniProgramClient({ baseUrl: '' })).toThrow(/no uni or wx/);
  });
});
