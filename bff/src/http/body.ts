import type { Middleware } from 'koa';
import { AppError, badRequest } from '../errors.js';
import type { AppState } from './state.js';

const LIMIT = 16 * 1024;

/** Parses a small JSON object body into `ctx.state.body`; anything else is a clear 4xx. */
export function jsonBody(): Middleware<AppState> {
  return async (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const length = Number(ctx.get('content-length') || 0);
    if (length === 0 && !ctx.get('transfer-encoding')) {
      ctx.state.body = {};
      return next();
    }
    if (!ctx.is('application/json')) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '请求体须为 JSON');
    if (length > LIMIT) throw new AppError(413, 'BODY_TOO_LARGE', '请求体过大');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += (chunk as Buffer).length;
      if (size > LIMIT) throw new AppError(413, 'BODY_TOO_LARGE', '请求体过大');
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest('BAD_JSON', '请求体不是合法的 JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw badRequest('BAD_JSON', '请求体须为 JSON 对象');
    ctx.state.rawBody = raw;
    ctx.state.body = parsed as Record<string, unknown>;
    return next();
  };
}
