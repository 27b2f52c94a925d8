import type { Middleware } from 'koa';
import { AppError, badRequest } from '../errors.js';
import type { AppState } from './context.js';

const LIMIT = 16 * 1024;

const aborted = () => new AppError(499, 'CLIENT_CLOSED_REQUEST', '请求未完整送达');

/**
 * Parses a small JSON object body into `ctx.state.body`; anything else is a clear 4xx. Every POST must
 * say it is JSON, an empty one too: a page on another origin cannot send that without a CORS preflight.
 * `/internal/` (bearer token, called by servers) may send no body at all.
 */
export function jsonBody(): Middleware<AppState> {
  return async (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const length = Number(ctx.get('content-length') || 0);
    const empty = length === 0 && !ctx.get('transfer-encoding');
    if (empty && /^\/internal\//i.test(ctx.path)) {
      ctx.state.body = {};
      return next();
    }
    if (!ctx.is('application/json')) throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', '请求体须为 JSON');
    if (empty) {
      ctx.state.body = {};
      return next();
    }
    if (length > LIMIT) throw new AppError(413, 'BODY_TOO_LARGE', '请求体过大');
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of ctx.req) {
        size += (chunk as Buffer).length;
        if (size > LIMIT) throw new AppError(413, 'BODY_TOO_LARGE', '请求体过大');
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      // The client hung up mid-body: its doing, not an outage of ours (nginx calls it 499 too).
      if (err instanceof AppError) throw err;
      if (ctx.req.destroyed || (err as { code?: string }).code === 'ECONNRESET') throw aborted();
      throw err;
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
    // JSON.parse keeps the last of a key sent twice; a check on one copy must not pass the other.
    const repeated = repeatedKey(raw);
    if (repeated !== undefined) throw badRequest('BAD_JSON', `请求体中的字段 ${JSON.stringify(repeated)} 重复`);
    ctx.state.body = parsed as Record<string, unknown>;
    ctx.state.rawBody = raw;
    return next();
  };
}

/**
 * The first key that appears twice in one object of valid JSON text, compared as parsed
 * (`"st\u0061te"` is `"state"`); undefined when there is none.
 */
export function repeatedKey(text: string): string | undefined {
  // One entry per open container: the keys seen in an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const keys = open[open.length - 1]!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',') expectKey = open[open.length - 1] instanceof Set;
  }
  return undefined;
}
