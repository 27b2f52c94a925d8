import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { AppState } from './context.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requests that change something come from this site's own pages. SameSite=Lax cookies do not stop a
 * sibling subdomain (same site, another origin), which is exactly where this product lives. A browser
 * says where a request comes from (Sec-Fetch-Site, Origin); one that says neither is a program such
 * as curl, which carries no victim's cookies — and cannot be a cross-origin page either, since every
 * POST must be JSON, which no form can send and fetch only after a CORS preflight.
 * `/internal/` is for servers with a bearer token, no cookies.
 */
export function sameOriginWrites(origins: string[]): Middleware<AppState> {
  const allowed = new Set(origins);
  return (ctx, next) => {
    if (SAFE.has(ctx.method) || /^\/internal\//i.test(ctx.path)) return next();
    const site = ctx.get('sec-fetch-site');
    const origin = ctx.get('origin');
    const fromHere = site === 'same-origin' || (origin ? allowed.has(origin) : !site);
    if (!fromHere) throw new AppError(403, 'CROSS_ORIGIN_REQUEST');
    return next();
  };
}
