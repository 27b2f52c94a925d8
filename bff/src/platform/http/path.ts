import type { Middleware } from 'koa';
import { badRequest } from '../errors.js';
import type { AppState } from './context.js';

/**
 * An encoded slash or backslash makes a path mean two things: nginx chooses its location on the
 * decoded, normalised path (`/internal/customers/..%2F..%2Fapi/x` is `/api/x` to it, so it passes it
 * on), while the router here reads the raw one (`/internal/customers/:id/…`). No path of ours has one.
 */
export function unambiguousPaths(): Middleware<AppState> {
  return (ctx, next) => {
    if (/%2f|%5c/i.test(ctx.path)) throw badRequest('BAD_REQUEST', '请求路径无效');
    return next();
  };
}
