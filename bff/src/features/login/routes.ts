import { AuthorizeQuery, LoginBody, QrLoginQuery, safeReturnTo } from '@wxauth/contract';
import type { Middleware } from 'koa';
import { badRequest } from '../../platform/errors.js';
import type { AppState } from '../../platform/http/context.js';
import { backToAuthPage } from '../../platform/http/navigation.js';
import { validated } from '../../platform/http/validated.js';
import { requestOrigin, type AppRouter, type Ctx } from '../../platform/http/context.js';
import type { Config, WechatApps } from '../../platform/config.js';
import type { Limit } from '../../platform/http/limits.js';
import type { SessionCookies, SessionDoor } from '../session/index.js';
import type { Login } from './login.js';

const MINUTE = 60_000;

/** The state and code come once, in the body: never also in the query. */
const bodyOnly: Middleware<AppState> = (ctx, next) => {
  if ('state' in ctx.query || 'code' in ctx.query) throw badRequest('STATE_INVALID');
  return next();
};

export function loginRoutes(
  router: AppRouter,
  deps: {
    config: Config;
    apps: WechatApps;
    cookies: SessionCookies;
    /** Logging out ends a browser's session or a mini program's bearer one, whichever the request holds. */
    door: SessionDoor;
    login: Login;
    limit: Limit;
    /** Signing out of wxauth signs this browser out of what else it signed in to (the OpenID Connect provider). */
    onLogout?: (ctx: Ctx) => Promise<void>;
  },
): void {
  const { config, apps, cookies, login, limit } = deps;
  const publicUrl = config.publicUrl;
  const websiteLogin = Boolean(apps.website?.secret);

  router.get(
    '/api/auth/wechat/authorize',
    backToAuthPage,
    limit('authorize', 60, MINUTE),
    validated({ query: AuthorizeQuery }, async (ctx, { query }) => {
      const browser = cookies.holdBrowser(ctx);
      const asked = {
        scope: query.scope,
        returnTo: safeReturnTo(query.returnTo, publicUrl),
        website: query.platform === 'website',
      };
      const flow = (query.again && (await login.again(query.again, browser))) || asked;
      if (flow.website && !websiteLogin) throw badRequest('PLATFORM_UNAVAILABLE');
      ctx.redirect(await login.start({ ...flow, browser }));
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
      cookies.answer(ctx, await login.finish({ ...body, browser, held: cookies.held(ctx), from: requestOrigin(ctx) }));
    }),
  );

  router.post('/api/auth/logout', async (ctx) => {
    const held = deps.door.held(ctx);
    if (held.kind === 'cookie') await deps.onLogout?.(ctx);
    deps.door.answer(ctx, await login.logout(held.id, held.kind));
  });
}
