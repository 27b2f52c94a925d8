import type { Middleware } from 'koa';
import { AppError } from '../../platform/errors.js';
import { SIGNATURE_HEADER, verify } from '../../adapters/host/signature.js';
import type { AppState } from '../../platform/http/context.js';

/**
 * The routes the host system calls, signed with HOST_SIGNING_SECRET as our calls to it are
 * (X-Wxauth-Signature over the raw body), or 401 SIGNATURE_INVALID with the reason. Where no secret is
 * set no host can sign, and the routes do not exist (404).
 */
export function requireHostSignature(secrets: readonly string[]): Middleware<AppState> {
  return (ctx, next) => {
    if (!secrets.length) throw new AppError(404, 'NOT_FOUND');
    const verdict = verify(secrets, ctx.get(SIGNATURE_HEADER) || undefined, ctx.state.rawBody ?? '');
    if (!verdict.ok) throw new AppError(401, 'SIGNATURE_INVALID', undefined, { reason: verdict.reason });
    return next();
  };
}
