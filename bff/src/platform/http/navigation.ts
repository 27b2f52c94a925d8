import type { Middleware } from 'koa';
import type { AppState, Ctx } from './context.js';

/** A person's browser loading a page (not a program, not fetch): it should see a page, not JSON. */
export const isNavigation = (ctx: Ctx): boolean =>
  ctx.get('sec-fetch-mode') === 'navigate' || ctx.accepts('json', 'html') === 'html';

/** WeChat's in-app browser says so in its user agent. */
export const inWechat = (ctx: Ctx): boolean => /MicroMessenger/i.test(ctx.get('user-agent'));

/**
 * The authorize link is followed by a browser, not called by a program: when it fails (rate limited,
 * state store down) the person lands back on the H5 app's /auth page, which says why and offers a
 * retry, instead of on raw JSON. Programs (no text/html in Accept) still get the JSON error.
 */
export const backToAuthPage: Middleware<AppState> = async (ctx, next) => {
  if (isNavigation(ctx))
    ctx.state.renderError = (c, error) => c.redirect(`/auth?${new URLSearchParams({ error: error.code })}`);
  return next();
};
