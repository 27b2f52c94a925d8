import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, parseKey } from '../sealer.js';

describe('sealer (AES-256-GCM)', () => {
  const sealer = createSealer(randomBytes(32));
  const tokens = { accessToken: 'ACCESS-123', refreshToken: 'REFRESH-456' };

  it('opens what it sealed for the same row, and the sealed text shows nothing of it', () => {
    const sealed = sealer.seal(tokens, 'wx1:oOpenid');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('ACCESS');
    expect(sealer.open(sealed, 'wx1:oOpenid')).toEqual(tokens);
    expect(sealer.seal(tokens, 'wx1:oOpenid')).not.toBe(sealed);
  });

  it('refuses a value moved to another row, tampered with, or sealed with another key', () => {
    const sealed = sealer.seal(tokens, 'wx1:oOpenid');
    expect(sealer.open(sealed, 'wx1:oOther')).toBeUndefined();
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
    expect(sealer.open(flipped, 'wx1:oOpenid')).toBeUndefined();
    expect(createSealer(randomBytes(32)).open(sealed, 'wx1:oOpenid')).toBeUndefined();
    expect(sealer.open('v1.short', 'wx1:oOpenid')).toBeUndefined();
    expect(sealer.open('plain', 'wx1:oOpenid')).toBeUndefined();
  });

  it('takes a key as 64 hex digits or base64 of 32 bytes', () => {
    expect(parseKey('ab'.repeat(32))?.length).toBe(32);
    expect(parseKey(randomBytes(32).toString('base64'))?.length).toBe(32);
    expect(parseKey('too-short')).toBeUndefined();
  });
});
