import { fetchFailure } from '../../platform/http/upstream.js';
import {
  badReplyError,
  badStatusError,
  fromErrcode,
  timeoutError,
  unreachableError,
  type WechatError,
} from './errors.js';
import type {
  GlobalToken,
  JsapiTicket,
  MpSession,
  OAuthScope,
  OAuthTokens,
  ParametricQr,
  PhoneNumberReply,
  UserInfo,
} from './types.js';

export interface WechatClientOptions {
  fetch: typeof fetch;
  openBase: string;
  apiBase: string;
  timeoutMs: number;
  /** Extra attempts after a transient failure of a call that is safe to repeat. */
  retries?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every attempt: the endpoint, "ok" or what failed (the errcode, WECHAT_TIMEOUT…), seconds. */
  observe?: (endpoint: string, outcome: string, seconds: number) => void;
}

export type WechatClient = ReturnType<typeof createWechatClient>;

/** What a call sends, and what WeChat's answer must carry to be of use. */
interface Call<T> {
  endpoint: string;
  params: Record<string, string>;
  /** A JSON body, POSTed; without one the request is a GET. */
  json?: unknown;
  /** Asking again after a transient failure is safe: not for a code exchange, whose code may be spent. */
  safeToRepeat: boolean;
  /**
   * A call that is not safe to repeat, asked again this many times after WeChat answered -1 (system busy):
   * the mini program's code calls, whose documents say to try again on -1, which did nothing with the code.
   */
  busyRetries?: number;
  required: Array<keyof T>;
}

/** Every request the client makes, by name: its methods send these, and `diagnose` sends the same. */
const calls = {
  exchangeCode: (p: { appid: string; secret: string; code: string }): Call<OAuthTokens> => ({
    endpoint: '/sns/oauth2/access_token',
    params: { appid: p.appid, secret: p.secret, code: p.code, grant_type: 'authorization_code' },
    safeToRepeat: false,
    required: ['access_token', 'openid'],
  }),
  refreshToken: (p: { appid: string; refreshToken: string }): Call<OAuthTokens> => ({
    endpoint: '/sns/oauth2/refresh_token',
    params: { appid: p.appid, grant_type: 'refresh_token', refresh_token: p.refreshToken },
    safeToRepeat: true,
    required: ['access_token', 'openid'],
  }),
  userinfo: (p: { accessToken: string; openid: string }): Call<UserInfo> => ({
    endpoint: '/sns/userinfo',
    params: { access_token: p.accessToken, openid: p.openid, lang: 'zh_CN' },
    safeToRepeat: true,
    required: [],
  }),
  stableToken: (p: { appid: string; secret: string; forceRefresh?: boolean }): Call<GlobalToken> => ({
    endpoint: '/cgi-bin/stable_token',
    params: {},
    json: { grant_type: 'client_credential', appid: p.appid, secret: p.secret, force_refresh: p.forceRefresh ?? false },
    safeToRepeat: true,
    required: ['access_token'],
  }),
  accessToken: (p: { appid: string; secret: string }): Call<GlobalToken> => ({
    endpoint: '/cgi-bin/token',
    params: { grant_type: 'client_credential', appid: p.appid, secret: p.secret },
    safeToRepeat: true,
    required: ['access_token'],
  }),
  jsapiTicket: (p: { accessToken: string }): Call<JsapiTicket> => ({
    endpoint: '/cgi-bin/ticket/getticket',
    params: { access_token: p.accessToken, type: 'jsapi' },
    safeToRepeat: true,
    required: ['ticket'],
  }),
  // https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
  jscode2session: (p: { appid: string; secret: string; code: string }): Call<MpSession> => ({
    endpoint: '/sns/jscode2session',
    params: { appid: p.appid, secret: p.secret, js_code: p.code, grant_type: 'authorization_code' },
    safeToRepeat: false,
    busyRetries: 1,
    required: ['openid'],
  }),
  // https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-info/phone-number/getPhoneNumber.html:
  // the access_token in the URL, the code (and the openid, which WeChat checks the code against) as JSON.
  phoneNumber: (p: { accessToken: string; code: string; openid: string }): Call<PhoneNumberReply> => ({
    endpoint: '/wxa/business/getuserphonenumber',
    params: { access_token: p.accessToken },
    json: { code: p.code, openid: p.openid },
    safeToRepeat: false,
    busyRetries: 1,
    required: [],
  }),
  /**
   * A temporary parametric QR code with a string scene (QR_STR_SCENE): scene_str is 1 to 64 characters,
   * expire_seconds at most 2592000 (30 days).
   * https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
   */
  qrcodeCreate: (p: { accessToken: string; scene: string; expireSeconds: number }): Call<ParametricQr> => ({
    endpoint: '/cgi-bin/qrcode/create',
    params: { access_token: p.accessToken },
    json: {
      expire_seconds: p.expireSeconds,
      action_name: 'QR_STR_SCENE',
      action_info: { scene: { scene_str: p.scene } },
    },
    // Asking again makes another code, which nobody shows: harmless.
    safeToRepeat: true,
    required: ['ticket', 'url'],
  }),
  checkToken: (p: { accessToken: string; openid: string }): Call<object> => ({
    endpoint: '/sns/auth',
    params: { access_token: p.accessToken, openid: p.openid },
    safeToRepeat: true,
    required: [],
  }),
};
type Calls = typeof calls;
type Answer<K extends keyof Calls> = ReturnType<Calls[K]> extends Call<infer T> ? T : never;

/**
 * One request as WeChat answered it, for an operator's diagnosis (preflight): what the call would
 * have thrown, with what the BFF does not keep (WeChat's own words, the status, the Date header).
 */
export interface Diagnosis<T> {
  /** The reply when it was a JSON object: the call's value when it went through, else WeChat's errcode and errmsg. */
  reply?: Partial<T> & { errcode?: number; errmsg?: string };
  /** What the call would have thrown: the errcode mapped (errors.ts), a timeout, no connection, a bad status or reply. */
  error?: WechatError;
  /** The HTTP status, when WeChat answered. */
  status?: number;
  /** WeChat's Date header, when it answered with one. */
  date?: string;
  /** Why no answer came, as the system says it (ECONNREFUSED, ENOTFOUND), for WECHAT_UNREACHABLE. */
  cause?: string;
}

/** One function per WeChat endpoint. URLs carry secrets, so they never reach an error or a log. */
export function createWechatClient(options: WechatClientOptions) {
  const { openBase, apiBase, timeoutMs, retries = 2, backoffMs = 100 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function once<T>(c: Call<T>): Promise<T> {
    if (!options.observe) return attempt(c);
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await attempt(c);
    } catch (err) {
      const e = err as WechatError;
      outcome = e.errcode === undefined ? e.code : String(e.errcode);
      throw err;
    } finally {
      options.observe(c.endpoint, outcome, (performance.now() - started) / 1000);
    }
  }

  async function attempt<T>(c: Call<T>): Promise<T> {
    const sent = await send(c);
    if ('failed' in sent) throw sent.failed;
    const judged = judge(c, sent.res, sent.text);
    if (judged.error) throw judged.error;
    return judged.reply as T;
  }

  /** The request, and WeChat's answer read whole; or why none came. */
  async function send<T>(
    c: Call<T>,
  ): Promise<{ res: Response; text: string } | { failed: WechatError; thrown: unknown }> {
    // A timer cleared as soon as the body is in: AbortSignal.timeout() would keep one alive per call
    // for the whole timeout, thousands of them on a busy server.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutReason), timeoutMs);
    try {
      const query = new URLSearchParams(c.params).toString();
      const res = await options.fetch(`${apiBase}${c.endpoint}${query ? `?${query}` : ''}`, {
        signal: controller.signal,
        ...(c.json === undefined
          ? { headers: { accept: 'application/json' } }
          : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.json) }),
      });
      return { res, text: await res.text() };
    } catch (err) {
      const timedOut = controller.signal.aborted || (err as Error).name === 'TimeoutError';
      return { failed: timedOut ? timeoutError(c.endpoint) : connectError(c.endpoint, err), thrown: err };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Repeats transient failures with jittered exponential backoff, a bounded number of times. */
  async function call<T>(c: Call<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(c);
      } catch (err) {
        const e = err as WechatError;
        // A code exchange that got any answer may have used the code: asking again would only earn 40163.
        const busyAgain = e.errcode === -1 && attempt < (c.busyRetries ?? 0);
        const repeatable = c.safeToRepeat ? e.transient : e.notSent || busyAgain;
        if (!repeatable || attempt >= retries) throw e;
        await sleep(Math.random() * backoffMs * 2 ** attempt);
      }
    }
  }

  /** appid, redirect_uri, response_type, scope, state: in the order WeChat checks, every value encoded. */
  const orderedQuery = (p: { appid: string; redirectUri: string; scope: string; state: string }) =>
    [
      ['appid', p.appid],
      ['redirect_uri', p.redirectUri],
      ['response_type', 'code'],
      ['scope', p.scope],
      ['state', p.state],
    ]
      .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
      .join('&');

  return {
    /** The Official Account's authorize URL, ending in #wechat_redirect. */
    authorizeUrl(p: { appid: string; redirectUri: string; scope: OAuthScope; state: string }): string {
      return `${openBase}/connect/oauth2/authorize?${orderedQuery(p)}#wechat_redirect`;
    },

    /** A website app's QR login page (snsapi_login), ending in #wechat_redirect. */
    qrconnectUrl(p: { appid: string; redirectUri: string; state: string }): string {
      return `${openBase}/connect/qrconnect?${orderedQuery({ ...p, scope: 'snsapi_login' })}#wechat_redirect`;
    },

    exchangeCode: (p: Parameters<Calls['exchangeCode']>[0]) => call(calls.exchangeCode(p)),

    refreshToken: (p: Parameters<Calls['refreshToken']>[0]) => call(calls.refreshToken(p)),

    userinfo: (p: Parameters<Calls['userinfo']>[0]) => call(calls.userinfo(p)),

    /** The global access_token through `cgi-bin/stable_token`: the same token while it is valid. */
    stableToken: (p: Parameters<Calls['stableToken']>[0]) => call(calls.stableToken(p)),

    /**
     * The global access_token through the older `cgi-bin/token`: every call makes a new token, and the
     * previous one stops working five minutes later, so a cluster must call it once, not per instance.
     */
    accessToken: (p: Parameters<Calls['accessToken']>[0]) => call(calls.accessToken(p)),

    /** A mini program's `wx.login` code → openid, unionid (and session_key, which the caller drops). */
    jscode2session: (p: Parameters<Calls['jscode2session']>[0]) => call(calls.jscode2session(p)),

    /** A getPhoneNumber button's code → the phone WeChat verified, with the mini program's global access_token. */
    phoneNumber: (p: Parameters<Calls['phoneNumber']>[0]) => call(calls.phoneNumber(p)),

    /** The JS-SDK `jsapi_ticket` for a global access_token. */
    jsapiTicket: (p: Parameters<Calls['jsapiTicket']>[0]) => call(calls.jsapiTicket(p)),

    /** A temporary QR code of the Official Account whose scan WeChat pushes with `scene`: `{ticket, expire_seconds, url}`. */
    qrcodeCreate: (accessToken: string, p: { scene: string; expireSeconds: number }) =>
      call(calls.qrcodeCreate({ accessToken, ...p })),

    /** `sns/auth`: resolves when the user token is still valid, rejects with the mapped error otherwise. */
    async checkToken(p: Parameters<Calls['checkToken']>[0]): Promise<void> {
      await call(calls.checkToken(p));
    },

    /**
     * The request the method `name` sends, once, with WeChat's answer as it came (see Diagnosis): never
     * repeated, and not observed, since a diagnosis provokes refusals (a made-up code) the metrics must not count.
     */
    async diagnose<K extends keyof Calls>(name: K, p: Parameters<Calls[K]>[0]): Promise<Diagnosis<Answer<K>>> {
      const c = (calls[name] as (p: Parameters<Calls[K]>[0]) => Call<Answer<K>>)(p);
      const sent = await send(c);
      if ('failed' in sent)
        return sent.failed.code === 'WECHAT_UNREACHABLE'
          ? { error: sent.failed, cause: fetchFailure(sent.thrown) }
          : { error: sent.failed };
      const { reply, error } = judge(c, sent.res, sent.text);
      const date = sent.res.headers.get('date');
      return { reply, error, status: sent.res.status, ...(date && { date }) };
    },
  };
}

/** WeChat's answer as the call takes it: the reply when it is a JSON object, and the failure it means. */
function judge<T>(
  c: Call<T>,
  res: Response,
  text: string,
): { reply?: Partial<T> & { errcode?: number; errmsg?: string }; error?: WechatError } {
  if (!res.ok) return { error: badStatusError(c.endpoint, res.status) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: badReplyError(c.endpoint) };
  }
  if (typeof body !== 'object' || body === null) return { error: badReplyError(c.endpoint) };
  const reply = body as Partial<T> & { errcode?: number; errmsg?: string };
  const { errcode } = reply;
  if (typeof errcode === 'number' && errcode !== 0) return { reply, error: fromErrcode(c.endpoint, errcode) };
  for (const f of c.required)
    if (typeof reply[f] !== 'string' || !reply[f]) return { reply, error: badReplyError(c.endpoint) };
  return { reply };
}

const timeoutReason = Object.assign(new Error('WeChat did not answer in time'), { name: 'TimeoutError' });

/** A connection that was refused never reached WeChat: only that is safe to repeat for a code exchange. */
function connectError(endpoint: string, err: unknown): WechatError {
  const cause = (err as { cause?: { code?: string } }).cause;
  return unreachableError(endpoint, cause?.code === 'ECONNREFUSED');
}
