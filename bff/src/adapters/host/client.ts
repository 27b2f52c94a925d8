import { sign, SIGNATURE_HEADER } from './signature.js';

/** The host system did not answer usably: down, too slow, or refusing. The message names no secret. */
export class HostUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    /** False only when the request certainly never reached the host (the connection was refused). */
    readonly reached = true,
  ) {
    super(`${new URL(url).origin}${new URL(url).pathname}: ${reason}`);
    this.name = 'HostUnreachable';
  }
}

export interface HostAnswer {
  status: number;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
}

/** An answer is read up to this much: a host that sends more is not believed, and cannot fill our memory. */
export const MAX_ANSWER_BYTES = 64 * 1024;

async function readCapped(res: Response): Promise<string | undefined> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const refused = (err: unknown) => {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED';
};

/**
 * Signed POSTs to the host system (its directory, its event receiver): the JSON body signed with the
 * shared secret (`X-Wxauth-Signature`), a timeout, and one more try only when the connection was
 * refused (nothing reached the host, so nothing can happen twice). Any other failure is the caller's.
 */
export function createHostClient(deps: {
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Before the retry of a refused connection. */
  retryDelayMs?: number;
}) {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;

  async function once(url: string, body: string, headers: Record<string, string>): Promise<HostAnswer> {
    const res = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: sign(deps.secret, body, now()),
        ...headers,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    const text = await readCapped(res);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  async function send(url: string, body: string, headers: Record<string, string> = {}): Promise<HostAnswer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(url, body, headers);
      } catch (err) {
        if (refused(err) && attempt === 0) {
          await new Promise((r) => setTimeout(r, deps.retryDelayMs ?? 200));
          continue;
        }
        const name = (err as Error).name;
        const reason =
          name === 'TimeoutError'
            ? `no answer within ${deps.timeoutMs} ms`
            : refused(err)
              ? 'connection refused'
              : `request failed (${(err as { cause?: { code?: string } }).cause?.code ?? name})`;
        throw new HostUnreachable(url, reason, !refused(err));
      }
    }
  }

  return {
    post: (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      send(url, JSON.stringify(payload), headers),
    /** A body already serialized (an outbox row's stored payload): sent and signed byte for byte. */
    postRaw: send,
  };
}

export type HostClient = ReturnType<typeof createHostClient>;
