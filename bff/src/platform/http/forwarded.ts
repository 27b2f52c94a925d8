import type { Middleware } from 'koa';
import type { AppState } from './context.js';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

/**
 * X-Forwarded-* are believed only from the configured proxies: from anyone else they are dropped
 * before Koa reads them, so a client cannot choose its own IP (rate limits) or scheme.
 */
export function trustedProxyHeaders(trusted: string[]): Middleware<AppState> {
  const set = new Set(trusted);
  return (ctx, next) => {
    const peer = (ctx.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (!set.has(peer)) for (const h of FORWARDED) delete ctx.req.headers[h];
    return next();
  };
}
