import { PassThrough } from 'node:stream';
import type { FollowState } from '@wxauth/contract';
import type { Ctx } from '../../platform/http/context.js';
import { isTerminal, type FollowLogin } from './follow.js';

/** A comment line now and then: proxies and browsers keep a quiet connection open, and the Kv is read again. */
const HEARTBEAT_MS = 15_000;
/** A stream ends after this, and the browser's EventSource opens the next (on any instance). */
const STREAM_MS = 5 * 60_000;
/** How soon the browser opens the next stream after one ends (EventSource's `retry`). */
const RETRY_MS = 2000;

/**
 * The desktop's wait for its login, as Server-Sent Events: an event named after the state (`waiting`,
 * `scanned`, `confirmed`, `cancelled`, `expired`) each time it changes, the stream closed after a final
 * one. The truth is in the Kv; a notice on the login's channel (Redis pub/sub across instances) says
 * when to read it again, and so does the heartbeat, so a missed notice costs seconds, never the login.
 * `closing`: the server is shutting down; every stream ends at once and the browser reconnects elsewhere.
 */
export async function streamState(ctx: Ctx, follow: FollowLogin, id: string, closing?: AbortSignal): Promise<void> {
  const stream = new PassThrough();
  let last: FollowState | undefined;
  let ended = false;
  const timers: NodeJS.Timeout[] = [];
  const subscription: { leave?: () => Promise<void> } = {};

  const end = () => {
    if (ended) return;
    ended = true;
    for (const t of timers) clearTimeout(t);
    closing?.removeEventListener('abort', end);
    void subscription.leave?.().catch(() => undefined);
    stream.end();
  };
  const write = (text: string) => {
    if (!ended) stream.write(text);
  };
  // One look at a time: notices that come while a look is under way are covered by one more look after it.
  let looking: Promise<void> | undefined;
  let again = false;
  const look = (): Promise<void> => {
    if (looking) {
      again = true;
      return looking;
    }
    looking = (async () => {
      do {
        again = false;
        const state = await follow.stateOf(id);
        if (state !== last) {
          last = state;
          write(`event: ${state}\ndata: ${JSON.stringify({ state })}\n\n`);
        }
        if (isTerminal(state)) end();
      } while (again && !ended);
    })()
      .catch(() => end())
      .finally(() => (looking = undefined));
    return looking;
  };

  // Subscribed before the first look: a change between the two is heard, not lost.
  subscription.leave = await follow.subscribe(id, () => void look());
  if (ended) await subscription.leave();
  ctx.req.on('close', end);
  closing?.addEventListener('abort', end);
  // A browser that hung up while the subscription was made: its 'close' came before anyone listened.
  if (closing?.aborted || ctx.req.socket.destroyed) end();

  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
  // nginx passes each event on at once instead of buffering the answer (proxy_buffering for this one).
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = stream;
  write(`retry: ${RETRY_MS}\n\n`);

  await look();
  // Over already (a final state, or the browser gone): nothing to wait for, so no timer either.
  if (ended) return;
  const heartbeat = () => {
    if (ended) return;
    write(': ping\n\n');
    void look();
    timers.push(setTimeout(heartbeat, HEARTBEAT_MS));
  };
  timers.push(setTimeout(heartbeat, HEARTBEAT_MS));
  timers.push(setTimeout(end, STREAM_MS));
  // The QR code's expiry is a change nobody announces.
  const expiresAt = await follow.expiresAt(id);
  if (expiresAt !== undefined && !ended)
    timers.push(setTimeout(() => void look(), Math.max(0, expiresAt - follow.now()) + 50));
}
