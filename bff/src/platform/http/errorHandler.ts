import type { Middleware } from 'koa';
import { AppError, asAppError } from '../errors.js';
import type { AppState } from './context.js';

/**
 * First in the chain: every error becomes `{"error": {"code", "message"}}`. Expected errors keep their
 * message; anything else is logged and answered with a generic 500, never a stack.
 */
export function errorHandler(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError(404, 'NOT_FOUND');
      if (ctx.status === 405 && ctx.body === undefined) throw new AppError(405, 'METHOD_NOT_ALLOWED');
    } catch (caught) {
      const err = asAppError(caught);
      const known = err instanceof AppError;
      const koaStatus = (err as { status?: number; expose?: boolean }).status;
      const status = known ? err.status : koaStatus && koaStatus >= 400 && koaStatus < 500 ? koaStatus : 500;
      const expose = known ? err.expose : status < 500;
      const code = known ? err.code : status === 500 ? 'INTERNAL' : 'BAD_REQUEST';
      const message = expose ? (err as Error).message : '服务暂时不可用，请稍后重试';
      if (status >= 500)
        ctx.state.log.error(
          {
            requestId: ctx.state.requestId,
            err: known ? { code, message: err.message, ...err.details, cause: causeOf(caught) } : err,
          },
          'request failed',
        );
      ctx.status = status;
      ctx.body = { error: { code, message, ...(known && expose ? err.details : {}) } };
      if (known && typeof err.details.retryAfterSeconds === 'number')
        ctx.set('Retry-After', String(err.details.retryAfterSeconds));
      ctx.state.renderError?.(ctx, { status, code, message });
    }
  };
}

/** What lies behind a mapped error, for the log: its code and message, never a stack of parameters. */
function causeOf(err: unknown): string | undefined {
  if (!(err instanceof Error) || err instanceof AppError) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}
