import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import { AppError, badRequest } from '../errors.js';
import type { AppState } from './context.js';

const LIMIT = 16 * 1024;

const aborted = () => new AppError(499, 'CLIENT_CLOSED_REQUEST');

/**
 * 413, and the connection closes once it is sent: otherwise Node would read the rest of the body
 * (endless, for all it knows) to keep the connection alive for a next request.
 */
function tooLarge(ctx: Context): AppError {
  ctx.set('Connection', 'close');
  return new AppError(413, 'BODY_TOO_LARGE');
}

/**
 * Parses a small JSON object body into `ctx.state.body`; anything else is a clear 4xx. Every POST must
 * say it is JSON, an empty one too: a page on another origin cannot send that without a CORS preflight.
 * `/internal/` (bearer token, called by servers) may send no body at all. `ownBodies`: paths whose
 * routes read their body themselves (WeChat's XML pushes, with `readRawBody`).
 */
export function jsonBody(ownBodies: string[] = []): Middleware<AppState> {
  const own = new Set(ownBodies);
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || own.has(ctx.path)) return next();
    const length = Number(ctx.get('content-length') || 0);
    const empty = length === 0 && !ctx.get('transfer-encoding');
    if (empty && /^\/internal\//i.test(ctx.path)) {
      ctx.state.body = {};
      return next();
    }
    // The usual header as the app sends it, without parsing it; anything else as type-is reads it.
    if (ctx.req.headers['content-type'] !== 'application/json' && !ctx.is('application/json'))
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE');
    if (empty) {
      ctx.state.body = {};
      return next();
    }
    const raw = await readRawBody(ctx, LIMIT);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest('BAD_JSON');
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

const TOO_LARGE = new Error('body too large');

/** The body as text, at most `limit` bytes: past it (by its length, or as it comes), 413. */
export async function readRawBody(ctx: Context, limit: number): Promise<string> {
  if (Number(ctx.get('content-length') || 0) > limit) throw tooLarge(ctx);
  return readBody(ctx.req, limit).catch((err: unknown) => {
    throw err === TOO_LARGE ? tooLarge(ctx) : err;
  });
}

/**
 * The body as text, at most `limit` bytes (rejects with TOO_LARGE past it). Read with listeners rather than `for await`, whose async
 * iterator costs more than the rest of a small body's parsing.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= limit) return;
      // No more of it is read; the connection stays open only to carry the 413 (a chunked body has
      // no length to refuse it by before reading).
      req.pause();
      done(TOO_LARGE);
    };
    const onEnd = () => {
      done();
      resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'));
    };
    // The client hung up mid-body: its doing, not an outage of ours (nginx calls it 499 too).
    const onError = (err: Error) =>
      done(req.destroyed || (err as { code?: string }).code === 'ECONNRESET' ? aborted() : err);
    const onClose = () => done(aborted());
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
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
        const quoted = text.slice(i, end + 1);
        // An escape can spell a key another way (`"st\u0061te"`): only then is it decoded.
        const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
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
