import { AuthorizeQuery, LoginBody, QrLoginQuery, safeReturnTo } from '@wxauth/contract';
import type { Middleware } from 'koa';
import { badRequest } from '../errors.js';
import type { AppState } from '../http/context.js';
import { isNavigation } from '../http/navigation.js';
import { validated } from '../http/validate.js';
import type { AppRouter, RouteDeps } from './context.js';

const MINUTE = 60_000;

/**
 * The authorize link is followed by a browser, not called by a program: when it fails (rate limited,
 * state store down) the person lands back on the H5 app's /auth page, which says why and offers a
 * retry, instead of on raw JSON. Programs (no text/html in Accept) still get the JSON error.
 */
const backToAuthPage: Middleware<AppState> = async (ctx, next) => {
  if (isNavigation(ctx))
    ctx.state.renderError = (c, error) => c.redirect(`/auth?${new URLSearchParams({ error: error.code })}`);
  return next();
};

/** The state and code come once, in the body: never also in the query. */
const bodyOnly: Middleware<AppState> = (ctx, next) => {
  if ('state' in ctx.query || 'code' in ctx.query) throw badRequest('STATE_INVALID');
  return next();
};

export function authRoutes(router: AppRouter, { config, apps, cookies, login, limit }: RouteDeps): void {
  const publicUrl = config.publicUrl;
  const websiteLogin = Boolean(apps.website?.secret);

  router.get(
    '/api/auth/wechat/authorize',
    backToAuthPage,
    limit('authorize', 60, MINUTE),
    validated({ query: AuthorizeQuery }, async (ctx, { query }) => {
      const website = query.platform === 'website';
      if (website && !websiteLogin) throw badRequest('PLATFORM_UNAVAILABLE');
      const returnTo = safeReturnTo(query.returnTo, publicUrl);
      ctx.redirect(await login.start({ scope: query.scope, returnTo, browser: cookies.holdBrowser(ctx), website }));
    }),
  );

  router.get(
    '/api/auth/wechat/qr-login',
    limit('authorize', 60, MINUTE),
    validated({ query: QrLoginQuery }, async (ctx, { query }) => {
      if (!websiteLogin) throw badRequest('PLATFORM_UNAVAILABLE');
      const returnTo = safeReturnTo(query.returnTo, publicUrl);
      ctx.body = await login.qrLogin({ returnTo, browser: cookies.holdBrowser(ctx) });
    }),
  );

  router.post(
    '/api/auth/wechat/login',
    limit('login', 60, MINUTE),
    bodyOnly,
    validated({ body: LoginBody }, async (ctx, { body }) => {
      const browser = cookies.browser(ctx);
      if (!browser) throw badRequest('STATE_INVALID');
      cookies.answer(ctx, await login.finish({ ...body, browser, held: cookies.held(ctx) }));
    }),
  );

  router.post('/api/auth/logout', async (ctx) => {
    cookies.answer(ctx, await login.logout(cookies.held(ctx)));
  });
}
