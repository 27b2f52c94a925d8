import type { Ctx } from './context.js';

/** A person's browser loading a page (not a program, not fetch): it should see a page, not JSON. */
export const isNavigation = (ctx: Ctx): boolean =>
  ctx.get('sec-fetch-mode') === 'navigate' || ctx.accepts('json', 'html') === 'html';

/** WeChat's in-app browser says so in its user agent. */
export const inWechat = (ctx: Ctx): boolean => /MicroMessenger/i.test(ctx.get('user-agent'));
