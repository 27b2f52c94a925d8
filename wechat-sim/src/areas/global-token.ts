import type { ServerResponse } from 'node:http';
import { json, readJson } from '../http.js';
import { randomToken } from '../ids.js';
import type { Call, Routes } from '../route.js';
import { ACCESS_TOKEN_LENGTH, ACCESS_TOKEN_TTL_S, apiError, type Rules, type TokenLine } from '../rules/index.js';
import { refusedByIpWhitelist } from '../rules/ip-whitelist.js';

/** A replaced global token keeps working this long, as WeChat's do. */
const GRACE_MS = 5 * 60_000;
const TOKEN_DAILY_LIMIT = 2000;
const FORCE_REFRESH_DAILY_LIMIT = 20;
const FORCE_REFRESH_INTERVAL_MS = 30_000;
const RENEW_AHEAD_MS = 5 * 60_000;

const quotaUsedUp = (res: ServerResponse) => apiError(res, 45009, 'reach max api daily quota limit');

/** GET /cgi-bin/token: a new token every time, which cuts short the one before. */
function getToken({ rules, req, res, url: { searchParams: q } }: Call): void {
  const app = rules.checkApp(res, q, true);
  if (!app || refusedByIpWhitelist(req, res, app)) return;
  if (q.get('grant_type') !== 'client_credential') return apiError(res, 40002, 'invalid grant_type');
  if (!rules.withinQuota(`token:${app.appid}`, TOKEN_DAILY_LIMIT)) return quotaUsedUp(res);
  json(res, 200, newGlobalToken(rules, 'token', app.appid));
}

/**
 * POST /cgi-bin/stable_token: the same token while it is valid, so instances asking in turn do not clash.
 * Its tokens are a line of their own: 获取稳定版接口调用凭据 says they are "与 getAccessToken 获取的调用凭证完全隔离，互不影响".
 */
async function stableToken({ rules, req, res }: Call): Promise<void> {
  const body = await readJson<Record<string, unknown>>(req);
  if (body === undefined) return apiError(res, 47001, 'data format error');
  const q = new URLSearchParams({ appid: String(body.appid ?? ''), secret: String(body.secret ?? '') });
  const app = rules.checkApp(res, q, true);
  if (!app || refusedByIpWhitelist(req, res, app)) return;
  if (body.grant_type !== 'client_credential') return apiError(res, 40002, 'invalid grant_type');
  const current = rules.currentToken.get(`stable:${app.appid}`);
  const live = current ? rules.globalTokens.get(current) : undefined;
  if (body.force_refresh === true) {
    // 获取稳定版接口调用凭据: forced refreshes at least 30 s apart; sooner is 45011, not counted against the day.
    const last = rules.lastForceRefresh.get(app.appid);
    if (last !== undefined && rules.now() - last < FORCE_REFRESH_INTERVAL_MS)
      return apiError(res, 45011, 'api minute-quota reach limit mustslower retry next minute');
    if (!rules.withinQuota(`force:${app.appid}`, FORCE_REFRESH_DAILY_LIMIT)) return quotaUsedUp(res);
    rules.lastForceRefresh.set(app.appid, rules.now());
    return json(res, 200, newGlobalToken(rules, 'stable', app.appid));
  }
  // 获取稳定版接口调用凭据: in its last 5 minutes a normal call already gets the next token; the old one
  // keeps working until it expires (the grace below cuts nothing short then).
  if (current && live && live.expiresAt - rules.now() > RENEW_AHEAD_MS)
    return json(res, 200, { access_token: current, expires_in: Math.floor((live.expiresAt - rules.now()) / 1000) });
  json(res, 200, newGlobalToken(rules, 'stable', app.appid));
}

function newGlobalToken(rules: Rules, line: TokenLine, appid: string): { access_token: string; expires_in: number } {
  const previous = rules.currentToken.get(`${line}:${appid}`);
  const old = previous ? rules.globalTokens.get(previous) : undefined;
  if (old) old.expiresAt = Math.min(old.expiresAt, rules.now() + GRACE_MS);
  const token = randomToken(ACCESS_TOKEN_LENGTH);
  rules.globalTokens.set(token, { appid, expiresAt: rules.now() + ACCESS_TOKEN_TTL_S * 1000 });
  rules.currentToken.set(`${line}:${appid}`, token);
  return { access_token: token, expires_in: ACCESS_TOKEN_TTL_S };
}

/** The global access_token (cgi-bin), which the JS-SDK's ticket is fetched with. */
export const globalToken: Routes = {
  'GET /cgi-bin/token': getToken,
  'POST /cgi-bin/stable_token': stableToken,
};
