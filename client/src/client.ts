import {
  NETWORK_MESSAGE,
  type BindResult,
  type ErrorBody,
  type FollowLoginInfo,
  type FollowQr,
  type FollowStatus,
  type JssdkConfig,
  type LoginResult,
  type Meta,
  type MpSignedIn,
  type OidcConsent,
  type OidcConsentResult,
  type QrLogin,
  type SessionInfo,
  type SmsSent,
} from '@wxauth/contract';
import { ApiError } from './errors.js';
import { fetchTransport } from './fetch.js';
import type { Transport } from './transport.js';

export interface ClientOptions {
  /** The BFF's origin when it is not the page's own; default "" (this origin, behind the same nginx). */
  baseUrl?: string;
  /** How requests are made: fetch by default; uniTransport(uni) in a uni-app project. */
  transport?: Transport;
  /** Milliseconds before a call fails with NETWORK. */
  timeout?: number;
  /** A call answered 401 SESSION_REQUIRED: the session ended. See WxauthClient.onUnauthorized. */
  onUnauthorized?: (error: ApiError) => void;
  /**
   * Where a bearer session's token is kept, for a client with no cookies (a mini program:
   * miniProgramClient() keeps it in storage). Every call then sends `Authorization: Bearer <token>`; a
   * new token in an answer replaces it; logout, unbind and a 401 SESSION_REQUIRED forget it.
   */
  bearer?: TokenStore;
}

/** Holds a bearer session's token. */
export interface TokenStore {
  get(): string | undefined;
  /** undefined: forget it. */
  set(token: string | undefined): void;
}

/** One typed function per endpoint of the BFF. Every failure is an ApiError. */
export interface WxauthClient {
  /** Finishes WeChat's login with what captureCallback() took. */
  login(code: string, state: string): Promise<LoginResult>;
  /** Who is signed in, or null (a 204, or a 401 from an older BFF: an answer, not an expiry; no hook). */
  session(): Promise<SessionInfo | null>;
  meta(): Promise<Meta>;
  sendSms(phone: string): Promise<SmsSent>;
  bindPhone(phone: string, smsCode: string): Promise<BindResult>;
  /** 账号密码登录: the host system checks them (BIND_METHODS with "password"). */
  bindPassword(account: string, password: string): Promise<BindResult>;
  unbind(): Promise<void>;
  logout(): Promise<void>;
  /** A mini program's `wx.login` code → where to go, on a new bearer session (kept by the `bearer` store). */
  mpLogin(code: string): Promise<MpSignedIn>;
  /**
   * A getPhoneNumber button's code (`e.detail.code`) → the phone WeChat verified, bound: `{next: "home",
   * token}`, the new token kept.
   */
  bindByWechatPhone(code: string): Promise<MpSignedIn>;
  /** wx.config's signature for the page at `url` (without its #fragment; the BFF drops it anyway). */
  jssdkConfig(url: string): Promise<JssdkConfig>;
  /** A desktop's embedded QR login (wxLogin.js's parameters). */
  qrLogin(returnTo: string): Promise<QrLogin>;
  /** A desktop's login through the Official Account: its QR code (and the cookie that binds the login to this browser). */
  followQr(returnTo: string): Promise<FollowQr>;
  /** Where this browser's login through the Official Account stands (the events stream says it as it changes). */
  followState(): Promise<FollowStatus>;
  /** The confirmed login's session for this desktop, once. */
  followFinish(): Promise<LoginResult>;
  /** The phone's confirm page: the desktop that waits. */
  followLogin(login: string): Promise<FollowLoginInfo>;
  /** 确认登录 (true) or 取消 (false) on the phone. */
  answerFollow(login: string, confirm: boolean): Promise<FollowStatus>;
  /** An OpenID Connect client's login waiting for the user's consent: the client and the scopes it asks. */
  oidcConsent(uid: string): Promise<OidcConsent>;
  /** The user's answer to it (同意 or 拒绝): where the browser goes next, back to the provider. */
  answerOidcConsent(uid: string, approve: boolean): Promise<OidcConsentResult>;
  /**
   * What a 401 SESSION_REQUIRED from any call but session() means to the app (go through the login
   * again, say). Settable after the client is made: a router registers it once it exists.
   */
  onUnauthorized: ((error: ApiError) => void) | undefined;
}

export function createClient({
  baseUrl = '',
  transport = fetchTransport(),
  timeout = 15_000,
  onUnauthorized,
  bearer,
}: ClientOptions = {}): WxauthClient {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: object, probe = false): Promise<T> {
    const post = method === 'POST';
    const headers: Record<string, string> = post ? { 'Content-Type': 'application/json' } : {};
    const token = bearer?.get();
    if (token) headers.Authorization = `Bearer ${token}`;
    let answer;
    try {
      answer = await transport({
        method,
        url: baseUrl + path,
        // Always a JSON body on a POST, `{}` when there is nothing to send: the BFF takes no other. A GET
        // has no Content-Type, so a page on another origin asks without a CORS preflight.
        body: post ? (body ?? {}) : undefined,
        headers,
        timeout,
      });
    } catch {
      throw new ApiError(0, 'NETWORK', NETWORK_MESSAGE);
    }
    const { status, data } = answer;
    if (status >= 200 && status < 300) {
      const next = (data as { token?: unknown } | undefined)?.token;
      if (typeof next === 'string') bearer?.set(next);
      return data as T;
    }
    const reply = (data as Partial<ErrorBody> | null | undefined)?.error;
    const {
      code = `HTTP_${status}` as const,
      message = NETWORK_MESSAGE,
      ...details
    } = typeof reply === 'object' ? reply : {};
    const error = new ApiError(status, code, message, details);
    if (code === 'SESSION_REQUIRED') {
      // The token names no session any more: keeping it would only send it again.
      if (token) bearer?.set(undefined);
      if (!probe) client.onUnauthorized?.(error);
    }
    throw error;
  }

  const q = (name: string, value: string) => `?${name}=${encodeURIComponent(value)}`;
  const forget = () => bearer?.set(undefined);

  const client: WxauthClient = {
    onUnauthorized,
    login: (code, state) => call('POST', '/api/auth/wechat/login', { code, state }),
    // ?optional=1: nobody signed in is a 204, not a 401 the browser logs as a failed request. A BFF
    // from before that answers 401, which means the same.
    session: () =>
      call<SessionInfo | undefined>('GET', '/api/session?optional=1', undefined, true).then(
        // uni.request may give '' for the empty body. Nobody signed in: a bearer token held is dead.
        (info) => info || (forget(), null),
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 401) return null;
          throw error;
        },
      ),
    meta: () => call('GET', '/api/meta'),
    sendSms: (phone) => call('POST', '/api/sms/send', { phone }),
    bindPhone: (phone, smsCode) => call('POST', '/api/account/bind', { phone, smsCode }),
    bindPassword: (account, password) => call('POST', '/api/account/bind-password', { account, password }),
    unbind: () => call<void>('POST', '/api/account/unbind').then(forget),
    logout: () => call<void>('POST', '/api/auth/logout').then(forget),
    mpLogin: (code) => call('POST', '/api/mp/login', { code }),
    bindByWechatPhone: (code) => call('POST', '/api/mp/phone', { code }),
    jssdkConfig: (url) => call('GET', `/api/wechat/jssdk-config${q('url', url)}`),
    qrLogin: (returnTo) => call('GET', `/api/auth/wechat/qr-login${q('returnTo', returnTo)}`),
    followQr: (returnTo) => call('POST', '/api/auth/follow/qr', { returnTo }),
    followState: () => call('GET', '/api/auth/follow/state'),
    followFinish: () => call('POST', '/api/auth/follow/finish'),
    followLogin: (login) => call('GET', `/api/auth/follow/login${q('login', login)}`),
    answerFollow: (login, confirm) => call('POST', `/api/auth/follow/${confirm ? 'confirm' : 'cancel'}`, { login }),
    oidcConsent: (uid) => call('GET', `/api/oidc/interaction/${encodeURIComponent(uid)}/consent`),
    answerOidcConsent: (uid, approve) =>
      call('POST', `/api/oidc/interaction/${encodeURIComponent(uid)}/consent`, { approve }),
  };
  return client;
}
