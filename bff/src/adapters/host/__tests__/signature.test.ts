import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verify } from '../signature.js';

const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';
const NOW = 1_800_000_000_000;

describe('X-Wxauth-Signature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">, as the README tells a host to compute it', () => {
    const body = '{"phone":"13800138000"}';
    const header = sign(SECRET, body, NOW);
    const expected = createHmac('sha256', SECRET).update(`1800000000.${body}`).digest('hex');
    expect(header).toBe(`t=1800000000,v1=${expected}`);
    expect(verify([SECRET], header, body, NOW)).toEqual({ ok: true, timestamp: 1_800_000_000 });
  });

  it('refuses a missing, malformed, tampered, wrongly keyed or replayed one', () => {
    const body = '{"a":1}';
    const header = sign(SECRET, body, NOW);
    expect(verify([SECRET], undefined, body, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verify([SECRET], 'v1=abc', body, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verify([SECRET], header.replace(/t=\d+,/, ''), body, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verify([SECRET], header, '{"a":2}', NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(['another-secret-0123456789abcdef0123'], header, body, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verify([SECRET], header, body, NOW + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verify([SECRET], header, body, NOW - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verify([SECRET], header, body, NOW + 299_000).ok).toBe(true);
  });

  it('accepts the old secret while a new one is rolled out, and any of several v1 values', () => {
    const body = '{}';
    const old = sign('old-secret-0123456789abcdef0123456789', body, NOW);
    expect(verify([SECRET, 'old-secret-0123456789abcdef0123456789'], old, body, NOW).ok).toBe(true);
    const both = `${sign(SECRET, body, NOW)},v1=${'0'.repeat(64)}`;
    expect(verify([SECRET], both, body, NOW).ok).toBe(true);
  });
});

// The README's example for hosts, run against what the BFF sends.
describe("the README's Node example (docs/examples/verify-signature.mjs)", () => {
  it('accepts what the BFF signs, and refuses tampered, replayed, unsigned and wrongly keyed requests', async () => {
    const { verifyWxauthSignature } = await import('../../../../../docs/examples/verify-signature.mjs');
    const body = '{"id":"evt_1","type":"wechat.bound"}';
    const header = sign(SECRET, body, NOW);
    expect(verifyWxauthSignature(SECRET, header, body, NOW)).toBe(true);
    expect(verifyWxauthSignature(SECRET, header, body.replace('bound', 'unbound'), NOW)).toBe(false);
    expect(verifyWxauthSignature(SECRET, header, body, NOW + 301_000)).toBe(false);
    expect(verifyWxauthSignature(SECRET, undefined, body, NOW)).toBe(false);
    expect(verifyWxauthSignature(SECRET, 't=1800000000', body, NOW)).toBe(false);
    expect(verifyWxauthSignature('another-secret', header, body, NOW)).toBe(false);
  });
});
