import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, redirectTo, withParams } from '../http.js';
import { randomAlnum } from '../ids.js';
import type { SimApp, SimOptions } from '../types.js';
import { apiError } from './errors.js';
import { faultInjection } from './faults.js';
import { officialAccountState } from './official-account.js';
import { USER_ID, userIds } from './users.js';

export { apiError, pageError } from './errors.js';
export { parseFault } from './faults.js';
export { currentUser, isFollower, isSnapshot, rememberUser, USER_ID } from './users.js';
export type { ChatLine, PushMode, QrTicket, ServerConfig } from './official-account.js';

/** User access tokens, global tokens and tickets all live 2 hours. */
export const ACCESS_TOKEN_TTL_S = 7200;
/** WeChat's access tokens run to 136 characters and more; clients must not assume a shorter one. */
export const ACCESS_TOKEN_LENGTH = 136;
/** WeChat's `state`: at most 128 bytes of `[A-Za-z0-9]`. */
export const STATE = /^[A-Za-z0-9]{0,128}$/;

export interface CodeRecord {
  appid: string;
  user: string;
  scope: string;
  issuedAt: number;
  used: boolean;
}
/** A user's access or refresh token (sns). */
export interface TokenRecord {
  appid: string;
  user: string;
  scope: string;
  expiresAt: number;
}

/** A wx.config check, or a card a share function set: `page` is the page's address (location.href). */
export type JssdkRecord =
  | { type: 'config'; page: string; url: string; errMsg: string }
  | { type: 'share'; page: string; api: string; title: string; desc?: string; link: string; imgUrl: string };

/** cgi-bin/token and cgi-bin/stable_token each keep their own current token per app. */
export type TokenLine = 'token' | 'stable';

export type Rules = ReturnType<typeof createRules>;

/** The simulated WeChat's state, shared by every area, and the checks more than one area makes. */
export function createRules(options: SimOptions) {
  const now = options.now ?? Date.now;
  const apps = new Map<string, SimApp>(options.apps.map((a) => [a.appid, a]));
  const codes = new Map<string, CodeRecord>();
  const accessTokens = new Map<string, TokenRecord>();
  const refreshTokens = new Map<string, TokenRecord>();
  /** Global (cgi-bin) tokens; a replaced one keeps working for a while, so it stays here until it expires. */
  const globalTokens = new Map<string, { appid: string; expiresAt: number }>();
  /** `token:<appid>` / `stable:<appid>` → that line's newest global token; the two lines never touch. */
  const currentToken = new Map<`${TokenLine}:${string}`, string>();
  const tickets = new Map<string, { expiresAt: number }>();
  /** appid → its one jsapi_ticket (JS-SDK: one per app, handed out again while it is valid). */
  const currentTicket = new Map<string, string>();
  /** appid → when stable_token last answered a force_refresh with a new token. */
  const lastForceRefresh = new Map<string, number>();
  const quota = new Map<string, number>();
  /** user → what the JS-SDK stand-in did for them, oldest first: wx.config's answers and the cards set. */
  const jssdkRecords = new Map<string, JssdkRecord[]>();
  const calls = new Map<string, number>();
  const faults = faultInjection();
  const oa = officialAccountState();
  const stores = [
    codes,
    accessTokens,
    refreshTokens,
    globalTokens,
    currentToken,
    tickets,
    currentTicket,
    lastForceRefresh,
    quota,
    jssdkRecords,
    calls,
  ];

  /** redirect_uri's host must be the app's callback domain exactly; a port only where allowed. */
  function callbackAllowed(redirect: string, app: SimApp): boolean {
    let target: URL;
    try {
      target = new URL(redirect);
    } catch {
      return false;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
    if (target.port !== '' && !options.allowPorts) return false;
    return target.hostname.toLowerCase() === app.callbackDomain.toLowerCase();
  }

  /** A page the app's JS接口安全域名 cover: a listed domain, on 80/443 (any port when allowPorts). */
  function jsDomainAllowed(page: string, app: SimApp): boolean {
    let target: URL;
    try {
      target = new URL(page);
    } catch {
      return false;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
    if (target.port !== '' && !options.allowPorts) return false;
    const domains = app.jsDomains ?? [app.callbackDomain];
    return domains.some((d) => d.toLowerCase() === target.hostname.toLowerCase());
  }

  return {
    now,
    apps,
    pushTimeoutMs: options.pushTimeoutMs ?? 5000,
    ...userIds(options.idKey ?? 'wechat-sim'),
    codes,
    accessTokens,
    refreshTokens,
    globalTokens,
    currentToken,
    tickets,
    currentTicket,
    lastForceRefresh,
    faults,
    oa,
    callbackAllowed,
    jsDomainAllowed,
    calls: () => Object.fromEntries(calls),
    /** Keeps what a page did through the JS-SDK stand-in, under the simulated user it ran for. */
    recordJssdk(user: string, record: JssdkRecord): void {
      const list = jssdkRecords.get(user) ?? [];
      list.push(record);
      jssdkRecords.set(user, list);
    },
    jssdkRecords: (user: string): JssdkRecord[] => jssdkRecords.get(user) ?? [],
    countCall: (path: string) => void calls.set(path, (calls.get(path) ?? 0) + 1),

    /** Counts a call against a daily quota; false once it is used up (45009). */
    withinQuota(key: string, limit: number): boolean {
      const day = `${key}:${Math.floor(now() / 86_400_000)}`;
      const used = (quota.get(day) ?? 0) + 1;
      quota.set(day, used);
      return used <= limit;
    },

    /** The app the API call names, its secret checked when asked; else the error is already sent. */
    checkApp(res: ServerResponse, q: URLSearchParams, needSecret: boolean): SimApp | undefined {
      const app = apps.get(q.get('appid') ?? '');
      if (!app) return void apiError(res, 40013, 'invalid appid');
      if (needSecret && q.get('secret') !== app.secret) return void apiError(res, 40125, 'invalid appsecret');
      return app;
    },

    /** The form a consent or QR page posted back, or undefined when it no longer holds. */
    async confirmation(req: IncomingMessage) {
      const form = new URLSearchParams(await readBody(req));
      const app = apps.get(form.get('appid') ?? '');
      const redirect = form.get('redirect_uri') ?? '';
      const user = form.get('user') ?? '';
      const state = form.get('state') ?? '';
      if (!app || !callbackAllowed(redirect, app) || !USER_ID.test(user) || !STATE.test(state)) return undefined;
      return { app, redirect, user, state, decision: form.get('decision') };
    },

    /** Back to the site with a fresh code: single use, valid 5 minutes. */
    redirectWithCode(res: ServerResponse, redirect: string, appid: string, user: string, scope: string, state: string) {
      const code = randomAlnum(32);
      codes.set(code, { appid, user, scope, issuedAt: now(), used: false });
      redirectTo(res, withParams(redirect, { code, state }));
    },

    reset(): void {
      for (const store of stores) store.clear();
      faults.clear();
      oa.clear();
    },
    /** Every code and token handed out since the last reset. */
    issuedSecrets: () => [
      ...codes.keys(),
      ...accessTokens.keys(),
      ...refreshTokens.keys(),
      ...globalTokens.keys(),
      ...tickets.keys(),
      ...oa.qrTickets.keys(),
    ],
  };
}
