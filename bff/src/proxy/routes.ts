import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { AppRouter } from '../routes/context.js';
import { limitPerIp, single } from '../routes/context.js';
import type { Kv } from '../kv/types.js';
import type { Random } from '../random.js';
import type { WechatClient } from '../wechat/client.js';
import { checkTarget, withParams } from './target.js';
import type { Middleware } from 'koa';
import type { AppState, Ctx } from '../http/state.js';

const RECORD_TTL_MS = 10 * 60_000;
const MOBILE_SCOPES = ['snsapi_base', 'snsapi_userinfo'];
const PC_SCOPES = ['snsapi_login', ...MOBILE_SCOPES];

interface ProxyRecord {
  target: string;
  callerState: string | null;
  /** A digest of the proxy-browser cookie of the browser that started it. */
  browser: string;
}

/** Each browser's own cookie on the proxy's origin, as php_weixin_proxy had: a callback comes back to it. */
const BROWSER_COOKIE = 'wxproxy_b';
const BROWSER_COOKIE_SECONDS = 24 * 3600;
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The proxy answers people, not programs: a page that says what is wrong, never a redirect. */
function errorPage(ctx: Ctx, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>授权失败</title></head><body style="font-family:system-ui,sans-serif;padding:40px 20px;text-align:center"><h1 style="font-size:20px">微信授权未能继续</h1><p role="alert">${escapeHtml(message)}</p></body></html>`;
}

/**
 * The authorization proxy: accepts php_weixin_proxy's links (appid, redirect_uri, response_type,
 * scope, state, device) on the one callback domain WeChat allows, and relays the code to a subdomain
 * that WX_PROXY_ALLOWED_HOSTS names. The target waits in a single-use server-side record keyed by the
 * state sent to WeChat, so two tabs and a slow QR scan both work.
 */
export function proxyRoutes(router: AppRouter, deps: { config: Config; kv: Kv; random: Random; wechat: WechatClient }) {
  const { config, kv, random, wechat } = deps;
  /**
   * The proxy's own origin: WX_PROXY_PUBLIC_URL, else the request's host (X-Forwarded-* only from a
   * trusted proxy). Never http when the site is https: a TLS terminator in front of nginx must not
   * downgrade what WeChat is sent. No port, which WeChat refuses, except in the demo on the simulator.
   */
  const proxyOrigin = (ctx: Ctx) =>
    config.proxy.publicUrl ?? `${config.secure ? 'https' : ctx.protocol}://${config.demo ? ctx.host : ctx.hostname}`;
  const browserCookie = (ctx: Ctx) => {
    const secure = proxyOrigin(ctx).startsWith('https:');
    return { name: `${secure ? '__Host-' : ''}${BROWSER_COOKIE}`, secure };
  };

  const start = async (ctx: Ctx) => {
    // The browser cookie must be set on the host WeChat sends the callback to: a link that came to
    // another host of ours goes there first, as it is.
    const publicHost = config.proxy.publicUrl && new URL(config.proxy.publicUrl).hostname;
    if (publicHost && publicHost !== ctx.hostname)
      return ctx.redirect(`${config.proxy.publicUrl}/wx-proxy/${ctx.search}`);
    const q = ctx.query;
    const appid = single(q.appid);
    const device = single(q.device);
    const pc = device === 'pc';
    const scope = single(q.scope) ?? (pc ? 'snsapi_login' : 'snsapi_base');
    const responseType = single(q.response_type) ?? 'code';
    const callerState = single(q.state) ?? null;
    const names = ['appid', 'redirect_uri', 'response_type', 'scope', 'state', 'device'];
    if (names.some((n) => Array.isArray(q[n]))) return errorPage(ctx, 400, '参数重复：每个参数只能出现一次');

    const expected = pc ? config.website?.appid : config.wechat.appid;
    if (!appid) return errorPage(ctx, 400, '缺少 appid');
    if (appid !== expected) {
      const kind = pc ? '网站应用（device=pc）' : '公众号';
      return errorPage(ctx, 400, `appid ${appid} 不是本代理配置的${kind} appid`);
    }
    if (responseType !== 'code') return errorPage(ctx, 400, 'response_type 只能是 code');
    if (!(pc ? PC_SCOPES : MOBILE_SCOPES).includes(scope))
      return errorPage(ctx, 400, `scope ${scope} 不受支持：手机端用 snsapi_base 或 snsapi_userinfo`);
    // eslint-disable-next-line no-control-regex
    if (callerState !== null && (callerState.length > 1024 || /[\u0000-\u001f\u007f]/.test(callerState)))
      return errorPage(ctx, 400, 'state 过长或含有控制字符');
    const target = checkTarget(single(q.redirect_uri), config.proxy.allowedHosts, config.demo);
    if (!target.ok) return errorPage(ctx, 400, target.reason);

    const cookie = browserCookie(ctx);
    const held = ctx.cookies.get(cookie.name);
    const browser = held && /^[A-Za-z0-9_-]{22,64}$/.test(held) ? held : random.token(16);
    ctx.append(
      'Set-Cookie',
      `${cookie.name}=${browser}; Path=/; Max-Age=${BROWSER_COOKIE_SECONDS}; HttpOnly; SameSite=Lax${cookie.secure ? '; Secure' : ''}`,
    );
    const state = random.alnum(32);
    const record: ProxyRecord = { target: single(q.redirect_uri)!, callerState, browser: digest(browser) };
    await kv.set(`wxproxy:${state}`, record, RECORD_TTL_MS);
    const redirectUri = `${proxyOrigin(ctx)}/wx-proxy/callback`;
    ctx.redirect(
      pc
        ? wechat.qrconnectUrl({ appid, redirectUri, state })
        : wechat.authorizeUrl({ appid, redirectUri, scope: scope as 'snsapi_base' | 'snsapi_userinfo', state }),
    );
  };

  // Every failure on these routes is a page too (a limit, the state store down), never JSON.
  const asPage: Middleware<AppState> = (ctx, next) => {
    ctx.state.renderError = (c, error) => errorPage(c, error.status, error.message);
    return next();
  };
  const limit = limitPerIp(kv, 'proxy', 60, 60_000);
  router.get('/wx-proxy', asPage, limit, start);
  router.get('/wx-proxy/', asPage, limit, start);

  router.get('/wx-proxy/callback', asPage, async (ctx) => {
    const state = single(ctx.query.state);
    const code = single(ctx.query.code);
    if (!state || !/^[A-Za-z0-9]{32}$/.test(state) || Array.isArray(ctx.query.code))
      return errorPage(ctx, 400, '授权回调缺少有效的 state');
    const expired = () => errorPage(ctx, 400, '授权链接已失效或已使用，请返回原网站重新登录');
    const pending = await kv.get<ProxyRecord>(`wxproxy:${state}`);
    if (!pending) return expired();
    // Only the browser that started it may finish it; a callback carried to another one is refused,
    // and the record stays for its own browser.
    const browser = ctx.cookies.get(browserCookie(ctx).name);
    if (!browser || digest(browser) !== pending.browser)
      return errorPage(ctx, 400, '请在发起登录的同一个浏览器中完成授权，请返回原网站重新登录');
    const record = await kv.take<ProxyRecord>(`wxproxy:${state}`);
    if (!record) return expired();
    // A refusal (state, no code) is relayed too, with the caller's state alone.
    const params: Record<string, string> = {};
    if (code) params.code = code;
    if (record.callerState !== null) params.state = record.callerState;
    ctx.redirect(Object.keys(params).length ? withParams(record.target, params) : record.target);
  });
}
