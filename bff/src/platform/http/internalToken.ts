import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { AppState } from './context.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The operators' routes under /internal/: `Authorization: Bearer <INTERNAL_API_TOKEN>`, or 401
 * UNAUTHORIZED. Both sides are hashed before they are compared, so the time taken tells nothing of the
 * token's length or of how much of it was guessed.
 */
export function requireInternalToken(token: string): Middleware<AppState> {
  const expected = digest(`Bearer ${token}`);
  return (ctx, next) => {
    if (!timingSafeEqual(digest(ctx.get('authorization')), expected)) throw new AppError(401, 'UNAUTHORIZED');
    return next();
  };
}
