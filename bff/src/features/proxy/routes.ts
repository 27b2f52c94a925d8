import type { Middleware } from 'koa';
import type { AppState, Ctx } from '../../platform/http/context.js';
import { setCookie } from '../../platform/http/cookie.js';
import type { Proxy, ProxyAnswer } from './proxy.js';
import type { AppRouter } from '../../platform/http/context.js';
import type { Config } from '../../platform/config.js';
import type { Limit } from '../../platform/http/limits.js';

/** Each browser's own cookie on the proxy's origin, as php_weixin_proxy had: a callback comes back to it. */
const BROWSER_COOKIE = 'wxproxy_b';
const BROWSER_COOKIE_MS = 24 * 3600_000;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The proxy answers people, not programs: a page that says what is wrong, never a redirect. */
function errorPage(ctx: Ctx, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>授权失败</title></head><body style="font-family:system-ui,sans-serif;padding:40px 20px;text-align:center"><h1 style="font-size:20px">微信授权未能继续</h1><p role="alert">${escapeHtml(message)}</p></body></html>`;
}

const follow = (ctx: Ctx, answer: ProxyAnswer) =>
  'refused' in answer ? errorPage(ctx, 400, answer.refused) : ctx.redirect(answer.redirect);

/** The authorization proxy's links and WeChat's callback to it (the rules are the use-case's). */
export function proxyRoutes(
  router: AppRouter,
  { config, proxy, limit }: { config: Config; proxy: Proxy; limit: Limit },
): void {
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
    const cookie = browserCookie(ctx);
    const answer = await proxy.start({
      query: ctx.query,
      origin: proxyOrigin(ctx),
      browser: ctx.cookies.get(cookie.name),
    });
    if (answer.browser)
      setCookie(ctx, { name: cookie.name, value: answer.browser, maxAgeMs: BROWSER_COOKIE_MS, secure: cookie.secure });
    follow(ctx, answer);
  };

  // Every failure on these routes is a page too (a limit, the state store down), never JSON.
  const asPage: Middleware<AppState> = (ctx, next) => {
    ctx.state.renderError = (c, error) => errorPage(c, error.status, error.message);
    return next();
  };
  const perIp = limit('proxy', 60, 60_000);
  router.get('/wx-proxy', asPage, perIp, start);
  router.get('/wx-proxy/', asPage, perIp, start);

  router.get('/wx-proxy/callback', asPage, async (ctx) => {
    follow(ctx, await proxy.finish({ query: ctx.query, browser: ctx.cookies.get(browserCookie(ctx).name) }));
  });
}
