import {
  badReplyError,
  badStatusError,
  fromErrcode,
  timeoutError,
  unreachableError,
  type WechatError,
} from './errors.js';
import type { GlobalToken, JsapiTicket, OAuthScope, OAuthTokens, UserInfo } from './types.js';

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

/** One function per WeChat endpoint. URLs carry secrets, so they never reach an error or a log. */
export function createWechatClient(options: WechatClientOptions) {
  const { openBase, apiBase, timeoutMs, retries = 2, backoffMs = 100 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function once<T>(endpoint: string, params: Record<string, string>, json?: unknown): Promise<T> {
    if (!options.observe) return attempt<T>(endpoint, params, json);
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await attempt<T>(endpoint, params, json);
    } catch (err) {
      const e = err as WechatError;
      outcome = e.errcode === undefined ? e.code : String(e.errcode);
      throw err;
    } finally {
      options.observe(endpoint, outcome, (performance.now() - started) / 1000);
    }
  }

  async function attempt<T>(endpoint: string, params: Record<string, string>, json?: unknown): Promise<T> {
    // A timer cleared as soon as the body is in: AbortSignal.timeout() would keep one alive per call
    // for the whole timeout, thousands of them on a busy server.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutReason), timeoutMs);
    let res: Response;
    let text: string;
    try {
      const query = new URLSearchParams(params).toString();
      res = await options.fetch(`${apiBase}${endpoint}${query ? `?${query}` : ''}`, {
        signal: controller.signal,
        ...(json === undefined
          ? { headers: { accept: 'application/json' } }
          : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
      });
      text = await res.text();
    } catch (err) {
      if (controller.signal.aborted || (err as Error).name === 'TimeoutError') throw timeoutError(endpoint);
      throw connectError(endpoint, err);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw badStatusError(endpoint, res.status);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badReplyError(endpoint);
    }
    if (typeof body !== 'object' || body === null) throw badReplyError(endpoint);
    const errcode = (body as { errcode?: unknown }).errcode;
    if (typeof errcode === 'number' && errcode !== 0) throw fromErrcode(endpoint, errcode);
    return body as T;
  }

  /** Repeats transient failures with jittered exponential backoff, a bounded number of times. */
  async function call<T>(
    endpoint: string,
    params: Record<string, string>,
    safeToRepeat: boolean,
    json?: unknown,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once<T>(endpoint, params, json);
      } catch (err) {
        const e = err as WechatError;
        // A code exchange that got any answer may have used the code: asking again would only earn 40163.
        const repeatable = safeToRepeat ? e.transient : e.notSent;
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

    exchangeCode(p: { appid: string; secret: string; code: string }): Promise<OAuthTokens> {
      return call<OAuthTokens>(
        '/sns/oauth2/access_token',
        { appid: p.appid, secret: p.secret, code: p.code, grant_type: 'authorization_code' },
        false,
      ).then((t) => requireFields(t, '/sns/oauth2/access_token', ['access_token', 'openid']));
    },

    refreshToken(p: { appid: string; refreshToken: string }): Promise<OAuthTokens> {
      return call<OAuthTokens>(
        '/sns/oauth2/refresh_token',
        { appid: p.appid, grant_type: 'refresh_token', refresh_token: p.refreshToken },
        true,
      ).then((t) => requireFields(t, '/sns/oauth2/refresh_token', ['access_token', 'openid']));
    },

    userinfo(p: { accessToken: string; openid: string }): Promise<UserInfo> {
      return call<UserInfo>('/sns/userinfo', { access_token: p.accessToken, openid: p.openid, lang: 'zh_CN' }, true);
    },

    /** The global access_token through `cgi-bin/stable_token`: the same token while it is valid. */
    stableToken(p: { appid: string; secret: string; forceRefresh?: boolean }): Promise<GlobalToken> {
      const body = {
        grant_type: 'client_credential',
        appid: p.appid,
        secret: p.secret,
        force_refresh: p.forceRefresh ?? false,
      };
      return call<GlobalToken>('/cgi-bin/stable_token', {}, true, body).then((t) =>
        requireFields(t, '/cgi-bin/stable_token', ['access_token']),
      );
    },

    /**
     * The global access_token through the older `cgi-bin/token`: every call makes a new token, and the
     * previous one stops working five minutes later, so a cluster must call it once, not per instance.
     */
    accessToken(p: { appid: string; secret: string }): Promise<GlobalToken> {
      return call<GlobalToken>(
        '/cgi-bin/token',
        { grant_type: 'client_credential', appid: p.appid, secret: p.secret },
        true,
      ).then((t) => requireFields(t, '/cgi-bin/token', ['access_token']));
    },

    /** The JS-SDK `jsapi_ticket` for a global access_token. */
    jsapiTicket(p: { accessToken: string }): Promise<JsapiTicket> {
      return call<JsapiTicket>('/cgi-bin/ticket/getticket', { access_token: p.accessToken, type: 'jsapi' }, true).then(
        (t) => requireFields(t, '/cgi-bin/ticket/getticket', ['ticket']),
      );
    },

    /** `sns/auth`: resolves when the user token is still valid, rejects with the mapped error otherwise. */
    async checkToken(p: { accessToken: string; openid: string }): Promise<void> {
      await call('/sns/auth', { access_token: p.accessToken, openid: p.openid }, true);
    },
  };
}

const timeoutReason = Object.assign(new Error('WeChat did not answer in time'), { name: 'TimeoutError' });

/** A connection that was refused never reached WeChat: only that is safe to repeat for a code exchange. */
function connectError(endpoint: string, err: unknown): WechatError {
  const cause = (err as { cause?: { code?: string } }).cause;
  return unreachableError(endpoint, cause?.code === 'ECONNREFUSED');
}

function requireFields<T extends object>(body: T, endpoint: string, fields: Array<keyof T>): T {
  for (const f of fields) if (typeof body[f] !== 'string' || !body[f]) throw badReplyError(endpoint);
  return body;
}
