import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every call to the host system and every event carries, and the host's events to us. */
export const SIGNATURE_HEADER = 'x-wxauth-signature';
/** A signature older or newer than this is refused: a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared secret>`: Stripe's rule, so a
 * host can verify it with the few lines docs/guide/your-accounts.md shows in Node, Java or PHP.
 */
export function sign(secret: string, body: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

export type Verdict =
  { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a signature header against the raw body: any of `secrets` (the current one and, while a new one
 * is rolled out, the old) and any `v1` in the header may match; the timestamp must be within the tolerance.
 */
export function verify(
  secrets: readonly string[],
  header: string | undefined,
  body: string,
  nowMs: number = Date.now(),
): Verdict {
  if (!header) return { ok: false, reason: 'missing' };
  let t: number | undefined;
  const given: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) given.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || !given.length) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - t) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  for (const secret of secrets) {
    const expected = Buffer.from(hmac(secret, t, body), 'hex');
    if (given.some((g) => timingSafeEqual(g, expected))) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: 'mismatch' };
}
