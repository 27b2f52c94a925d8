import { ForwardAuthParams, needsProfile, safeReturnTo } from '@wxauth/contract';
import { sessionRequired } from '../../platform/errors.js';
import type { Ctx } from '../../platform/http/context.js';
import { backToAuthPage, inWechat, isNavigation } from '../../platform/http/navigation.js';
import { validated } from '../../platform/http/validated.js';
import type { AppRouter } from '../../platform/http/context.js';
import type { Config } from '../../platform/config.js';
import type { Limit } from '../../platform/http/limits.js';
import type { Login } from '../login/index.js';
import type { SessionCookies, SessionDoor } from '../session/index.js';
import type { SiteIdentity } from './siteIdentity.js';

/**
 * What the rest of the site asks: nginx's auth_request (forward-auth) and where it sends a request
 * that failed it, deep links that leave for WeChat with no page in between, identity tokens and the
 * keys to verify them. The /internal/ routes are reached only through nginx's internal locations.
 */
export function siteRoutes(
  router: AppRouter,
  deps: {
    config: Config;
    cookies: SessionCookies;
    /** Forward-auth and identity tokens take a mini program's bearer session as well as a browser's. */
    door: SessionDoor;
    login: Login;
    site: SiteIdentity;
    limit: Limit;
  },
): void {
  const { config, cookies, door, login, site, limit } = deps;
  // nginx passes the address the browser asked for; whatever it holds, returnTo stays on this origin.
  const original = (ctx: Ctx) => safeReturnTo(ctx.get('x-original-uri'), config.publicUrl);

  router.get(
    '/internal/forward-auth/:require',
    validated({ params: ForwardAuthParams }, async (ctx, { params }) => {
      ctx.state.quiet = true;
      const headers = await site.check(door.held(ctx), params.require);
      if (!headers) throw sessionRequired();
      ctx.set(headers);
      ctx.status = 204;
    }),
  );

  // A protected location refused: a page load goes through login and back; a program gets 401 JSON.
  router.get('/internal/sign-in', (ctx) => {
    if (!isNavigation(ctx)) throw sessionRequired();
    ctx.redirect(`/auth?${new URLSearchParams({ returnTo: original(ctx) })}`);
  });

  // A link into the H5 app opened with no session: inside WeChat straight to its authorize page (no
  // HTML, no JS on the way); elsewhere to the page that says to open it in WeChat.
  router.get('/internal/deep-link', backToAuthPage, limit('authorize', 60, 60_000), async (ctx) => {
    const returnTo = original(ctx);
    // The demo walks the journey in any browser, on its simulator.
    if (!inWechat(ctx) && !config.demo) return ctx.redirect(`/open-in-wechat?${new URLSearchParams({ returnTo })}`);
    // A profile page asks for the profile at once, as the app itself would (one consent, not two trips).
    const scope = needsProfile(returnTo) ? 'snsapi_userinfo' : 'snsapi_base';
    ctx.redirect(await login.start({ scope, returnTo, browser: cookies.holdBrowser(ctx) }));
  });

  router.get('/api/auth/token', async (ctx) => {
    ctx.body = await site.token(door.held(ctx));
  });

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.body = site.jwks();
    // Verifiers fetch it often; a new key is added well before it signs (docs/guide/your-services.md, rotation).
    ctx.set('Cache-Control', 'public, max-age=300');
  });
}
