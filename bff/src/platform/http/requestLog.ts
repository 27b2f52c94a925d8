import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Random } from '../random.js';
import type { AppState } from './context.js';

/**
 * One JSON line per request with a request id, and the request counted in the metrics, timed once.
 * Only the path is logged: query strings carry codes
 * and states (`/wx-proxy/callback?code=…`), and headers carry cookies.
 */
export function requestLog(log: Logger, random: Random, metrics?: Metrics): Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : random.alnum(16);
    ctx.state.requestId = requestId;
    ctx.state.log = log;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - started;
      const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const route = ctx.state.route ?? (typeof matched === 'string' ? matched : 'unmatched');
      metrics?.request({ method: ctx.method, route, status: ctx.status }, ms / 1000);
      const level = ctx.state.quiet && ctx.status < 400 ? 'debug' : 'info';
      log[level](
        {
          requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    }
  };
}
