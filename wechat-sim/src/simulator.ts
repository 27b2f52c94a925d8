import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomAlnum, stableId } from './ids.js';
import { avatarSvg, consentPage, errorPage, FAVICON_SVG, qrconnectPage } from './pages.js';
import type { Fault, SimApp, SimOptions } from './types.js';

const CODE_TTL_MS = 5 * 60_000;
const ACCESS_TOKEN_TTL_S = 7200;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;
const AUTHORIZE_ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'];
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const STATE = /^[A-Za-z0-9]{0,128}$/;

interface CodeRecord {
  appid: string;
  user: string;
  scope: string;
  issuedAt: number;
  used: boolean;
}
/** A global access_token (cgi-bin). Replaced ones keep working for 5 minutes, as WeChat's do. */
interface GlobalToken {
  appid: string;
  expiresAt: number;
}
const GRACE_MS = 5 * 60_000;
const TOKEN_DAILY_LIMIT = 2000;
const FORCE_REFRESH_DAILY_LIMIT = 20;

interface TokenRecord {
  appid: string;
  user: string;
  scope: string;
  expiresAt: number;
}

export interface Simulator {
  /** The request handler, for embedding in another server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Listen on loopback; port 0 picks a free one. */
  listen(port?: number, host?: string): Promise<RunningSimulator>;
  reset(): void;
  /** The openid a user has under an app, as the code exchange would return it. */
  openidOf(appid: string, user: string): string;
  /** Every code and token handed out since the last reset (tests scan logs for them). */
  issuedSecrets(): string[];
}

export interface RunningSimulator {
  origin: string;
  close(): Promise<void>;
}

export function createSimulator(options: SimOptions): Simulator {
  const now = options.now ?? Date.now;
  const idKey = options.idKey ?? 'wechat-sim';
  const apps = new Map<string, SimApp>(options.apps.map((a) => [a.appid, a]));

  let codes = new Map<string, CodeRecord>();
  let accessTokens = new Map<string, TokenRecord>();
  let refreshTokens = new Map<string, TokenRecord>();
  let faults: Fault[] = [];
  let globalTokens = new Map<string, GlobalToken>();
  let currentToken = new Map<string, string>();
  let tickets = new Map<string, { expiresAt: number }>();
  let quota = new Map<string, number>();
  let calls: Record<string, number> = {};

  const isSnapshot = (user: string) => user.startsWith('snapshot-');
  const openidOf = (appid: string, user: string) =>
    isSnapshot(user) ? stableId(idKey, 'snapshot', appid, user) : stableId(idKey, 'openid', appid, user);
  const unionidOf = (app: SimApp, user: string, scope: string): string | undefined =>
    app.openPlatform && !isSnapshot(user) && scope !== 'snsapi_base'
      ? stableId(idKey, 'unionid', app.openPlatform, user)
      : undefined;

  function reset(): void {
    codes = new Map();
    accessTokens = new Map();
    refreshTokens = new Map();
    faults = [];
    calls = {};
    globalTokens = new Map();
    currentToken = new Map();
    tickets = new Map();
    quota = new Map();
  }

  /** Counts a call against a daily quota; false once it is used up (45009). */
  function withinQuota(key: string, limit: number): boolean {
    const day = `${key}:${Math.floor(now() / 86_400_000)}`;
    const used = (quota.get(day) ?? 0) + 1;
    quota.set(day, used);
    return used <= limit;
  }

  function newGlobalToken(appid: string): { access_token: string; expires_in: number } {
    const previous = currentToken.get(appid);
    const old = previous ? globalTokens.get(previous) : undefined;
    if (old) old.expiresAt = Math.min(old.expiresAt, now() + GRACE_MS);
    const token = randomAlnum(120);
    globalTokens.set(token, { appid, expiresAt: now() + ACCESS_TOKEN_TTL_S * 1000 });
    currentToken.set(appid, token);
    return { access_token: token, expires_in: ACCESS_TOKEN_TTL_S };
  }

  function globalToken(res: ServerResponse, q: URLSearchParams): void {
    const app = checkApp(res, q, true);
    if (!app) return;
    if (q.get('grant_type') !== 'client_credential') return apiError(res, 40002, 'invalid grant_type');
    if (!withinQuota(`token:${app.appid}`, TOKEN_DAILY_LIMIT))
      return apiError(res, 45009, 'reach max api daily quota limit');
    json(res, 200, newGlobalToken(app.appid));
  }

  async function stableToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return apiError(res, 47001, 'data format error');
    }
    const q = new URLSearchParams({ appid: String(body.appid ?? ''), secret: String(body.secret ?? '') });
    const app = checkApp(res, q, true);
    if (!app) return;
    if (body.grant_type !== 'client_credential') return apiError(res, 40002, 'invalid grant_type');
    const current = currentToken.get(app.appid);
    const live = current ? globalTokens.get(current) : undefined;
    if (body.force_refresh === true) {
      if (!withinQuota(`force:${app.appid}`, FORCE_REFRESH_DAILY_LIMIT))
        return apiError(res, 45009, 'reach max api daily quota limit');
      return json(res, 200, newGlobalToken(app.appid));
    }
    // The same token while it is valid: instances asking in turn do not invalidate each other.
    if (current && live && live.expiresAt > now())
      return json(res, 200, { access_token: current, expires_in: Math.floor((live.expiresAt - now()) / 1000) });
    json(res, 200, newGlobalToken(app.appid));
  }

  function getTicket(res: ServerResponse, q: URLSearchParams): void {
    const token = globalTokens.get(q.get('access_token') ?? '');
    if (!token) return apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
    if (token.expiresAt <= now()) return apiError(res, 42001, 'access_token expired');
    if (q.get('type') !== 'jsapi') return apiError(res, 40097, 'invalid args');
    const ticket = randomAlnum(86);
    tickets.set(ticket, { expiresAt: now() + ACCESS_TOKEN_TTL_S * 1000 });
    json(res, 200, { errcode: 0, errmsg: 'ok', ticket, expires_in: ACCESS_TOKEN_TTL_S });
  }

  /** WeChat's API answers 200 with a JSON errcode; errmsg carries a request id suffix. */
  function apiError(res: ServerResponse, errcode: number, errmsg: string): void {
    json(res, 200, { errcode, errmsg: `${errmsg}, rid: ${randomAlnum(8).toLowerCase()}` });
  }

  function authorize(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const order = [...q.keys()].filter((k) => AUTHORIZE_ORDER.includes(k));
    const expected = AUTHORIZE_ORDER.filter((k) => order.includes(k));
    if (order.join() !== expected.join())
      return html(
        res,
        200,
        errorPage(null, '参数顺序错误：须为 appid, redirect_uri, response_type, scope, state（模拟器检查）'),
      );

    const appid = q.get('appid');
    if (!appid) return html(res, 200, errorPage(10012, 'appid不能为空'));
    const app = apps.get(appid);
    if (!app) return html(res, 200, errorPage(null, 'appid参数错误'));
    if (app.kind !== 'official')
      return html(res, 200, errorPage(10016, '不支持微信开放平台的Appid，请使用公众号Appid'));

    const redirect = q.get('redirect_uri');
    if (!redirect) return html(res, 200, errorPage(10011, 'redirect_uri不能为空'));
    if (!callbackAllowed(redirect, app)) return html(res, 200, errorPage(10003, 'redirect_uri域名与后台配置不一致'));
    if (q.get('response_type') !== 'code') return html(res, 200, errorPage(null, 'response_type参数错误'));

    const scope = q.get('scope');
    if (!scope) return html(res, 200, errorPage(10010, 'scope不能为空'));
    if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo')
      return html(res, 200, errorPage(10005, '此公众号并没有这些scope的权限'));

    const state = q.get('state') ?? '';
    if (!STATE.test(state))
      return html(res, 200, errorPage(null, 'state参数错误：最多128字节的a-zA-Z0-9（模拟器检查）'));

    const user = currentUser(req, q, res);
    // 快照页模式: a page opened from 朋友圈 gets a virtual identity for snsapi_userinfo with no consent page.
    if (scope === 'snsapi_base' || isSnapshot(user)) return redirectWithCode(res, redirect, appid, user, scope, state);
    html(res, 200, consentPage(app.name ?? appid, { appid, redirect_uri: redirect, scope, state, user }));
  }

  /** Website apps' QR login: WeChat shows its own error page here ("参数错误"), not 10003. */
  function qrconnect(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const app = apps.get(q.get('appid') ?? '');
    if (!app || app.kind !== 'website') return html(res, 200, errorPage(null, 'appid参数错误'));
    const redirect = q.get('redirect_uri') ?? '';
    if (!callbackAllowed(redirect, app)) return html(res, 200, errorPage(null, 'redirect_uri 参数错误'));
    if (q.get('scope') !== 'snsapi_login') return html(res, 200, errorPage(null, 'Scope 参数错误或没有 Scope 权限'));
    const state = q.get('state') ?? '';
    if (!STATE.test(state)) return html(res, 200, errorPage(null, 'state参数错误（模拟器检查）'));
    const user = currentUser(req, q, res);
    // wxLogin.js's embedded QR (login_type=jssdk) sends the whole page on, unless self_redirect=true.
    const top = q.get('login_type') === 'jssdk' && q.get('self_redirect') !== 'true';
    html(
      res,
      200,
      qrconnectPage(app.name ?? app.appid, { appid: app.appid, redirect_uri: redirect, state, user }, top),
    );
  }

  async function qrconfirm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const app = apps.get(form.get('appid') ?? '');
    const redirect = form.get('redirect_uri') ?? '';
    const user = form.get('user') ?? '';
    const state = form.get('state') ?? '';
    if (!app || app.kind !== 'website' || !callbackAllowed(redirect, app) || !USER_ID.test(user) || !STATE.test(state))
      return html(res, 400, errorPage(null, '二维码已失效'));
    redirectWithCode(res, redirect, app.appid, user, 'snsapi_login', state);
  }

  async function confirm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const appid = form.get('appid') ?? '';
    const app = apps.get(appid);
    const redirect = form.get('redirect_uri') ?? '';
    const user = form.get('user') ?? '';
    const state = form.get('state') ?? '';
    if (!app || !callbackAllowed(redirect, app) || !USER_ID.test(user) || !STATE.test(state))
      return html(res, 400, errorPage(null, '授权请求已失效'));
    if (form.get('decision') !== 'allow') return redirectTo(res, withParams(redirect, { state }));
    redirectWithCode(res, redirect, appid, user, 'snsapi_userinfo', state);
  }

  function redirectWithCode(
    res: ServerResponse,
    redirect: string,
    appid: string,
    user: string,
    scope: string,
    state: string,
  ): void {
    const code = randomAlnum(32);
    codes.set(code, { appid, user, scope, issuedAt: now(), used: false });
    redirectTo(res, withParams(redirect, { code, state }));
  }

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

  function currentUser(req: IncomingMessage, q: URLSearchParams, res: ServerResponse): string {
    const fromQuery = q.get('wxsim_user');
    if (fromQuery && USER_ID.test(fromQuery)) {
      res.setHeader('Set-Cookie', `wxsim_user=${fromQuery}; Path=/; SameSite=Lax; HttpOnly`);
      return fromQuery;
    }
    const fromCookie = /(?:^|;\s*)wxsim_user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return fromCookie && USER_ID.test(fromCookie) ? fromCookie : 'demo';
  }

  /**
   * The demo's "换个新用户": this browser becomes a WeChat user never seen before, then goes on to `next`,
   * which must be on a registered app's callback domain, as WeChat's own redirects are (no open redirect).
   */
  function newUser(res: ServerResponse, next: string): void {
    if (![...apps.values()].some((app) => callbackAllowed(next, app)))
      return html(res, 400, errorPage(null, 'next 须为已登记应用的回调域名下的地址（模拟器检查）'));
    res.setHeader('Set-Cookie', `wxsim_user=new${randomAlnum(12)}; Path=/; SameSite=Lax; HttpOnly`);
    redirectTo(res, next);
  }

  function checkApp(res: ServerResponse, q: URLSearchParams, needSecret: boolean): SimApp | undefined {
    const app = apps.get(q.get('appid') ?? '');
    if (!app) return void apiError(res, 40013, 'invalid appid');
    if (needSecret && q.get('secret') !== app.secret) return void apiError(res, 40125, 'invalid appsecret');
    return app;
  }

  function issueTokens(app: SimApp, user: string, scope: string, refreshToken?: string): Record<string, unknown> {
    const accessToken = randomAlnum(86);
    accessTokens.set(accessToken, { appid: app.appid, user, scope, expiresAt: now() + ACCESS_TOKEN_TTL_S * 1000 });
    const refresh = refreshToken ?? randomAlnum(86);
    if (!refreshToken)
      refreshTokens.set(refresh, { appid: app.appid, user, scope, expiresAt: now() + REFRESH_TOKEN_TTL_MS });
    const reply: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_TTL_S,
      refresh_token: refresh,
      openid: openidOf(app.appid, user),
      scope,
    };
    if (isSnapshot(user)) reply.is_snapshotuser = 1;
    const unionid = unionidOf(app, user, scope);
    if (unionid) reply.unionid = unionid;
    return reply;
  }

  function exchangeCode(res: ServerResponse, q: URLSearchParams): void {
    const app = checkApp(res, q, true);
    if (!app) return;
    if (q.get('grant_type') !== 'authorization_code') return apiError(res, 40002, 'invalid grant_type');
    const code = q.get('code');
    if (!code) return apiError(res, 41008, 'missing code');
    const record = codes.get(code);
    if (!record || record.appid !== app.appid) return apiError(res, 40029, 'invalid code');
    if (record.used) return apiError(res, 40163, 'code been used');
    if (now() - record.issuedAt > CODE_TTL_MS) return apiError(res, 42003, 'code expired');
    record.used = true;
    json(res, 200, issueTokens(app, record.user, record.scope));
  }

  function refresh(res: ServerResponse, q: URLSearchParams): void {
    const app = checkApp(res, q, false);
    if (!app) return;
    if (q.get('grant_type') !== 'refresh_token') return apiError(res, 40002, 'invalid grant_type');
    const token = q.get('refresh_token') ?? '';
    const record = refreshTokens.get(token);
    if (!record || record.appid !== app.appid) return apiError(res, 40030, 'invalid refresh_token');
    if (now() > record.expiresAt) return apiError(res, 42002, 'refresh_token timeout');
    json(res, 200, issueTokens(app, record.user, record.scope, token));
  }

  function userToken(res: ServerResponse, q: URLSearchParams): TokenRecord | undefined {
    const record = accessTokens.get(q.get('access_token') ?? '');
    if (!record) return void apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
    if (now() > record.expiresAt) return void apiError(res, 42001, 'access_token expired');
    if (q.get('openid') !== openidOf(record.appid, record.user)) return void apiError(res, 40003, 'invalid openid');
    return record;
  }

  function userinfo(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    const record = userToken(res, q);
    if (!record) return;
    if (record.scope === 'snsapi_base') return apiError(res, 48001, 'api unauthorized');
    const app = apps.get(record.appid)!;
    const snapshot = isSnapshot(record.user);
    const reply: Record<string, unknown> = {
      openid: openidOf(record.appid, record.user),
      nickname: snapshot ? '微信用户' : record.user === 'demo' ? '小微' : `微信用户${record.user}`,
      // Since 2021 WeChat no longer returns sex or region: zero and empty strings.
      sex: 0,
      language: '',
      city: '',
      province: '',
      country: '',
      headimgurl: `http://${req.headers.host ?? 'localhost'}/__sim/avatar/${encodeURIComponent(record.user)}.svg`,
      privilege: [],
    };
    const unionid = unionidOf(app, record.user, record.scope);
    if (unionid) reply.unionid = unionid;
    json(res, 200, reply);
  }

  async function addFault(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Partial<Fault>;
    try {
      body = JSON.parse(await readBody(req)) as Partial<Fault>;
    } catch {
      return json(res, 400, { error: 'body must be JSON' });
    }
    const { path, errcode, status, delayMs, times = 1 } = body;
    const valid =
      typeof path === 'string' &&
      path.startsWith('/') &&
      (errcode === undefined || Number.isInteger(errcode)) &&
      (status === undefined || (Number.isInteger(status) && status >= 400 && status <= 599)) &&
      (delayMs === undefined || (Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 120_000)) &&
      (errcode !== undefined || status !== undefined || delayMs !== undefined) &&
      Number.isInteger(times) &&
      times >= 1;
    if (!valid) return json(res, 400, { error: 'expected {path, errcode? | status? | delayMs?, times?}' });
    faults.push({ path, errcode, status, delayMs, times });
    json(res, 201, { faults });
  }

  /** Applies the first matching fault; true when it answered the request. */
  async function applyFault(res: ServerResponse, path: string): Promise<boolean> {
    const fault = faults.find((f) => f.path === path && f.times > 0);
    if (!fault) return false;
    fault.times -= 1;
    faults = faults.filter((f) => f.times > 0);
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.status !== undefined) {
      html(res, fault.status, '<html><body><h1>Bad Gateway</h1></body></html>');
      return true;
    }
    if (fault.errcode !== undefined) {
      apiError(res, fault.errcode, fault.errcode === -1 ? 'system error' : 'injected fault');
      return true;
    }
    return false;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname;
    const q = url.searchParams;
    const key = `${req.method} ${path}`;

    if (path.startsWith('/__sim/')) {
      if (key === 'GET /__sim/stats') return json(res, 200, { calls });
      if (key === 'POST /__sim/faults') return addFault(req, res);
      if (key === 'POST /__sim/reset') return void (reset(), json(res, 200, { ok: true }));
      if (key === 'GET /__sim/new-user') return newUser(res, q.get('next') ?? '');
      const avatar = /^\/__sim\/avatar\/([^/]+)\.svg$/.exec(path);
      if (req.method === 'GET' && avatar) {
        let user: string;
        try {
          user = decodeURIComponent(avatar[1]!);
        } catch {
          return json(res, 404, { error: 'not found' });
        }
        res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' });
        return void res.end(avatarSvg(user));
      }
      return json(res, 404, { error: 'not found' });
    }
    if (key === 'GET /favicon.ico') {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' });
      return void res.end(FAVICON_SVG);
    }

    calls[path] = (calls[path] ?? 0) + 1;
    if (await applyFault(res, path)) return;

    switch (key) {
      case 'GET /connect/oauth2/authorize':
        return authorize(req, res, url);
      case 'POST /connect/oauth2/authorize/confirm':
        return confirm(req, res);
      case 'GET /connect/qrconnect':
        return qrconnect(req, res, url);
      case 'POST /connect/qrconnect/confirm':
        return qrconfirm(req, res);
      case 'GET /sns/oauth2/access_token':
        return exchangeCode(res, q);
      case 'GET /sns/oauth2/refresh_token':
        return refresh(res, q);
      case 'GET /sns/userinfo':
        return userinfo(req, res, q);
      case 'GET /cgi-bin/token':
        return globalToken(res, q);
      case 'POST /cgi-bin/stable_token':
        return stableToken(req, res);
      case 'GET /cgi-bin/ticket/getticket':
        return getTicket(res, q);
      case 'GET /sns/auth':
        if (userToken(res, q)) apiError(res, 0, 'ok');
        return;
      default:
        json(res, 404, { errcode: 404, errmsg: 'not found' });
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    route(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { errcode: -1, errmsg: 'system error' });
      else res.destroy();
    });
  }

  return {
    handle,
    reset,
    openidOf,
    issuedSecrets: () => [
      ...codes.keys(),
      ...accessTokens.keys(),
      ...refreshTokens.keys(),
      ...globalTokens.keys(),
      ...tickets.keys(),
    ],
    listen(port = 0, host = '127.0.0.1') {
      const server = createServer(handle);
      server.keepAliveTimeout = 65_000;
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const { port: actual } = server.address() as AddressInfo;
          resolve({
            origin: `http://${host}:${actual}`,
            close: () =>
              new Promise<void>((done) => {
                server.closeAllConnections();
                server.close(() => done());
              }),
          });
        });
      });
    },
  };
}

/** Adds parameters to a URL's query, before any #fragment, as WeChat does. */
function withParams(target: string, params: Record<string, string>): string {
  const hashAt = target.indexOf('#');
  const base = hashAt === -1 ? target : target.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : target.slice(hashAt);
  const query = new URLSearchParams(params).toString();
  return `${base}${base.includes('?') ? '&' : '?'}${query}${fragment}`;
}

function redirectTo(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; encoding=utf-8' });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
