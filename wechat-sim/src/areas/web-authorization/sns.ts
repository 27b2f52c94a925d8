import type { ServerResponse } from 'node:http';
import { json } from '../../http.js';
import { randomToken } from '../../ids.js';
import type { Call } from '../../route.js';
import {
  ACCESS_TOKEN_LENGTH,
  ACCESS_TOKEN_TTL_S,
  apiError,
  isSnapshot,
  type Rules,
  type TokenRecord,
} from '../../rules/index.js';
import type { SimApp } from '../../types.js';

const CODE_TTL_MS = 5 * 60_000;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;
const REFRESH_TOKEN_LENGTH = 86;

/** GET or POST /sns/oauth2/access_token: a code, once, within 5 minutes, by the app it was issued to. */
export function exchangeCode({ rules, res, url: { searchParams: q } }: Call): void {
  const app = rules.checkApp(res, q, true);
  if (!app) return;
  if (q.get('grant_type') !== 'authorization_code') return apiError(res, 40002, 'invalid grant_type');
  const code = q.get('code');
  if (!code) return apiError(res, 41008, 'missing code');
  const record = rules.codes.get(code);
  if (!record || record.appid !== app.appid) return apiError(res, 40029, 'invalid code');
  if (record.used) return apiError(res, 40163, 'code been used');
  if (rules.now() - record.issuedAt > CODE_TTL_MS) return apiError(res, 42003, 'code expired');
  record.used = true;
  json(res, 200, issueTokens(rules, app, record.user, record.scope));
}

/** GET or POST /sns/oauth2/refresh_token: a new access token; the refresh token stays the same. */
export function refreshAccessToken({ rules, res, url: { searchParams: q } }: Call): void {
  const app = rules.checkApp(res, q, false);
  if (!app) return;
  if (q.get('grant_type') !== 'refresh_token') return apiError(res, 40002, 'invalid grant_type');
  const token = q.get('refresh_token') ?? '';
  const record = rules.refreshTokens.get(token);
  if (!record || record.appid !== app.appid) return apiError(res, 40030, 'invalid refresh_token');
  if (rules.now() > record.expiresAt) return apiError(res, 42002, 'refresh_token timeout');
  json(res, 200, issueTokens(rules, app, record.user, record.scope, token));
}

/** GET or POST /sns/userinfo: the profile, for tokens of an snsapi_userinfo consent. */
export function userinfo({ rules, req, res, url: { searchParams: q } }: Call): void {
  const record = userToken(rules, res, q);
  if (!record) return;
  if (record.scope === 'snsapi_base') return apiError(res, 48001, 'api unauthorized');
  const app = rules.apps.get(record.appid)!;
  const reply: Record<string, unknown> = {
    openid: rules.openidOf(record.appid, record.user),
    nickname: isSnapshot(record.user) ? '微信用户' : record.user === 'demo' ? '小微' : `微信用户${record.user}`,
    // Since 2021 WeChat no longer returns sex or region: zero and empty strings.
    sex: 0,
    language: '',
    city: '',
    province: '',
    country: '',
    // Like WeChat's `https://thirdwx.qlogo.cn/mmopen/…/132`: the last segment is the size.
    headimgurl: `http://${req.headers.host ?? 'localhost'}/__sim/avatar/${encodeURIComponent(record.user)}/132`,
    privilege: [],
  };
  const unionid = rules.unionidOf(app, record.user, record.scope);
  if (unionid) reply.unionid = unionid;
  json(res, 200, reply);
}

/** GET or POST /sns/auth: errcode 0 while the token is valid for that openid; success carries no request id. */
export function checkToken({ rules, res, url: { searchParams: q } }: Call): void {
  if (userToken(rules, res, q)) json(res, 200, { errcode: 0, errmsg: 'ok' });
}

/** A new access token, and a new refresh token unless one is being used. */
function issueTokens(rules: Rules, app: SimApp, user: string, scope: string, refreshToken?: string) {
  const accessToken = randomToken(ACCESS_TOKEN_LENGTH);
  const record = { appid: app.appid, user, scope };
  rules.accessTokens.set(accessToken, { ...record, expiresAt: rules.now() + ACCESS_TOKEN_TTL_S * 1000 });
  const refresh = refreshToken ?? randomToken(REFRESH_TOKEN_LENGTH);
  if (!refreshToken) rules.refreshTokens.set(refresh, { ...record, expiresAt: rules.now() + REFRESH_TOKEN_TTL_MS });
  const reply: Record<string, unknown> = {
    access_token: accessToken,
    expires_in: ACCESS_TOKEN_TTL_S,
    refresh_token: refresh,
    openid: rules.openidOf(app.appid, user),
    scope,
  };
  if (isSnapshot(user)) reply.is_snapshotuser = 1;
  const unionid = rules.unionidOf(app, user, scope);
  if (unionid) reply.unionid = unionid;
  return reply;
}

/** The record behind a user access token, checked against the openid sent with it; else the error is sent. */
function userToken(rules: Rules, res: ServerResponse, q: URLSearchParams): TokenRecord | undefined {
  const record = rules.accessTokens.get(q.get('access_token') ?? '');
  if (!record) return void apiError(res, 40001, 'invalid credential, access_token is invalid or not latest');
  if (rules.now() > record.expiresAt) return void apiError(res, 42001, 'access_token expired');
  if (q.get('openid') !== rules.openidOf(record.appid, record.user)) return void apiError(res, 40003, 'invalid openid');
  return record;
}
