import type { MpSignedIn } from '@wxauth/contract';
import { createClient, type ClientOptions, type TokenStore, type WxauthClient } from './client.js';
import { ApiError } from './errors.js';
import { uniTransport, type UniRequest } from './uni.js';

/** Where the bearer token lives in the mini program's storage. */
export const TOKEN_KEY = 'wxauth_token';

/** What this client uses of a mini program's `uni` (uni-app) or `wx` (WeChat's own) object. */
export interface MiniProgramApi {
  login(options: {
    provider?: 'weixin';
    success(result: { code?: string; errMsg?: string }): void;
    fail(error: unknown): void;
  }): unknown;
  request: UniRequest;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: string): unknown;
  removeStorageSync(key: string): unknown;
}

export interface MiniProgramClientOptions extends Pick<ClientOptions, 'timeout' | 'onUnauthorized'> {
  /** The BFF's origin, `https://h5.example.com`: on the mini program's 服务器域名 (request legal domain) list. */
  baseUrl: string;
  /** `uni` or `wx`; default: the global `uni` if there is one, else the global `wx`. */
  api?: MiniProgramApi;
}

/** Every call of the H5 app's client on the bearer session, and the mini program's own login and phone. */
export interface MiniProgramClient extends WxauthClient {
  /**
   * `uni.login`/`wx.login`, then `POST /api/mp/login` with its code: `{next: "home" | "bind", token}`, the
   * token kept in storage (`wxauth_token`) and sent with every call from then on. Rejects with an
   * ApiError: WX_LOGIN_FAILED when wx.login failed; else the BFF's code (CODE_INVALID, CODE_USED,
   * WECHAT_RISKY_USER, WECHAT_RATE_LIMITED, WECHAT_BUSY, …).
   */
  miniProgramLogin(): Promise<MpSignedIn>;
  /** Whether a token is kept (the session it names may have ended since: `session()` says). */
  hasToken(): boolean;
}

type Global = { uni?: MiniProgramApi; wx?: MiniProgramApi };

/**
 * The client for a mini program (uni-app's mp-weixin build, or a native one): requests by
 * `uni.request`/`wx.request`, the session as a bearer token in `uni.setStorageSync`/`wx.setStorageSync`.
 */
export function miniProgramClient({ api, ...options }: MiniProgramClientOptions): MiniProgramClient {
  const g = globalThis as Global;
  const mp = api ?? g.uni ?? g.wx;
  if (!mp) throw new Error('miniProgramClient: no uni or wx here; pass { api }');
  const bearer: TokenStore = {
    get: () => {
      const token = mp.getStorageSync(TOKEN_KEY);
      return typeof token === 'string' && token ? token : undefined;
    },
    set: (token) => void (token ? mp.setStorageSync(TOKEN_KEY, token) : mp.removeStorageSync(TOKEN_KEY)),
  };
  const client = createClient({ ...options, transport: uniTransport(mp.request.bind(mp)), bearer });
  const wxLogin = () =>
    new Promise<string>((resolve, reject) =>
      mp.login({
        provider: 'weixin',
        success: ({ code }) => (code ? resolve(code) : reject(new Error('no code'))),
        fail: reject,
      }),
    ).catch(() => {
      throw new ApiError(0, 'WX_LOGIN_FAILED', '微信登录失败，请重试');
    });
  return Object.assign(client, {
    miniProgramLogin: async () => client.mpLogin(await wxLogin()),
    hasToken: () => bearer.get() !== undefined,
  });
}
