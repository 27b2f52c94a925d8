// How a host system checks X-Wxauth-Signature in Node (docs/guide/your-accounts.md shows this file; tests run it).
// Verify against the raw body, before parsing it: re-serialised JSON would not match.
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOLERANCE_SECONDS = 300;

/** True when `header` is wxauth's signature of `rawBody` with `secret`, made within the last 5 minutes. */
export function verifyWxauthSignature(secret, header, rawBody, nowMs = Date.now()) {
  if (typeof header !== 'string') return false;
  const pairs = header.split(',').map((part) => part.trim().split('='));
  const t = Number(pairs.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return pairs.some(([key, value = '']) => {
    if (key !== 'v1') return false;
    const given = Buffer.from(value, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
