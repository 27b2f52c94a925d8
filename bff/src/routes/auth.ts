import type { Middleware } from 'koa';
import { badRequest } from '../errors.js';
import type { AppState } from '../http/state.js';
import { safeReturnTo } from '@wxauth/contract';
import { STATE_PATTERN, stateInvalid } from '../services/auth.js';
import type { OAuthScope } from '../wechat/types.js';
import { limitPerIp, single, type AppRouter, type RouteDeps } from './context.js';

const SCOPES: OAuthScope[] = ['snsapi_base', 'snsapi_userinfo'];
const BROWSER_COOKIE_MS = 24 * 3600_000;
const MINUTE = 60_000;

/**
 * The authorize link is followed by a browser, not called by a program: when it fails (rate limited,
 * state store down) the person lands back on the H5 app's /auth page, which says why and offers a
 * retry, instead of on raw JSON. Programs (no text/html in Accept) still get the JSON error.
 */
const backToAuthPage: Middleware<AppState> = async (ctx, next) => {
  if (ctx.get('sec-fetch-mode') === 'navigate' || ctx.accepts('json', 'html') === 'html')
    ctx.state.renderError = (c, error) => c.redirect(`/auth?${new URLSearchParams({ error: error.code })}`);
  return next();
};

export function authRoutes(router: AppRouter, deps: RouteDeps): void {
  const { config, cookies, flow, sessions, kv, random, metrics } = deps;

  router.get('/api/auth/wechat/authorize', backToAuthPage, limitPerIp(kv, 'authorize', 60, MINUTE), async (ctx) => {
    const scope = single(ctx.query.scope) ?? 'snsapi_base';
    if (!SCOPES.includes(scope as OAuthScope))
      throw badRequest('SCOPE_INVALID', 'scope 须为 snsapi_base 或 snsapi_userinfo');
    const platform = single(ctx.query.platform) ?? 'mp';
    if (platform !== 'mp' && platform !== 'website')
      throw badRequest('PLATFORM_INVALID', 'platform 须为 mp 或 website');
    if (platform === 'website' && !config.website?.secret)
      throw badRequest('PLATFORM_UNAVAILABLE', '未配置网站应用，暂不支持扫码登录');
    const returnTo = safeReturnTo(single(ctx.query.returnTo), config.publicUrl);
    const browser = cookies.get(ctx, 'browser') ?? random.token(16);
    cookies.set(ctx, 'browser', browser, BROWSER_COOKIE_MS);
    const url = await flow.start({ scope: scope as OAuthScope, returnTo, browser, website: platform === 'website' });
    ctx.redirect(url);
  });

  // The embedded QR of wxLogin.js: its parameters, with a state under the same rules as a redirect.
  router.get('/api/auth/wechat/qr-login', limitPerIp(kv, 'authorize', 60, MINUTE), async (ctx) => {
    if (!config.website?.secret) throw badRequest('PLATFORM_UNAVAILABLE', '未配置网站应用，暂不支持扫码登录');
    const returnTo = safeReturnTo(single(ctx.query.returnTo), config.publicUrl);
    const browser = cookies.get(ctx, 'browser') ?? random.token(16);
    cookies.set(ctx, 'browser', browser, BROWSER_COOKIE_MS);
    const url = new URL(
      (await flow.start({ scope: 'snsapi_base', returnTo, browser, website: true })).replace(/#.*$/, ''),
    );
    const q = url.searchParams;
    const params = {
      self_redirect: false,
      id: 'wxauth-qr',
      appid: q.get('appid')!,
      scope: 'snsapi_login',
      redirect_uri: q.get('redirect_uri')!,
      state: q.get('state')!,
      style: 'black',
      href: '',
    };
    // What wxLogin.js would put in its iframe, so the page needs no script from WeChat's CDN.
    const src = new URL('/connect/qrconnect', url);
    for (const [k, v] of Object.entries({ ...params, login_type: 'jssdk', self_redirect: 'false' }))
      if (k !== 'id') src.searchParams.set(k, String(v));
    ctx.body = { ...params, src: src.href };
  });

  router.post('/api/auth/wechat/login', limitPerIp(kv, 'login', 60, MINUTE), async (ctx) => {
    const body = ctx.state.body ?? {};
    // The state must come once, as a string, in the body: never also in the query (jsonBody refuses
    // a key sent twice).
    if ('state' in ctx.query || 'code' in ctx.query) throw stateInvalid();
    const { code, state } = body;
    if (typeof state !== 'string' || !STATE_PATTERN.test(state)) throw stateInvalid();
    if (code === undefined || code === '') throw badRequest('CODE_MISSING', '缺少授权码，请重新进入');
    if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(code))
      throw badRequest('CODE_INVALID', '授权码无效，请重新进入');
    const browser = cookies.get(ctx, 'browser');
    if (!browser) throw stateInvalid();

    const previous = cookies.get(ctx, 'session');
    let result;
    try {
      result = await flow.finish({ code, state, browser, current: previous });
      metrics.login(result.next);
    } catch (err) {
      metrics.login(metrics.codeOf(err));
      throw err;
    }
    // A fresh session id at every login: any id the browser held before is dropped.
    if (previous && previous !== result.sessionId) await sessions.destroy(previous);
    cookies.set(ctx, 'session', result.sessionId, config.session.absoluteMs);
    ctx.body = { next: result.next, returnTo: result.returnTo };
  });

  router.post('/api/auth/logout', async (ctx) => {
    const id = cookies.get(ctx, 'session');
    if (id) await sessions.destroy(id);
    cookies.clear(ctx, 'session');
    ctx.status = 204;
  });
}
