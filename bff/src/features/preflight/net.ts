import { fetchFailure } from '../../platform/http/upstream.js';

/** A request that answered, or why it did not (a timeout, a refused connection…), never with its URL's secrets. */
export type Answer = { ok: true; res: Response; body: Buffer } | { ok: false; why: string };

/** One request with a deadline; the body is read whole (answers here are small). */
export async function request(
  fetcher: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Answer> {
  try {
    const res = await fetcher(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { ok: true, res, body: Buffer.from(await res.arrayBuffer()) };
  } catch (err) {
    return { ok: false, why: networkError(err, timeoutMs) };
  }
}

/** fetch's failure as a short reason: how long it waited, or the system's error code (ECONNREFUSED, ENOTFOUND). */
function networkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { name?: string } };
  if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return fetchFailure(err);
}

/** A URL as it may be shown: scheme, host, port and path, never a user or password. */
export function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(malformed URL)';
  }
}
