import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../random.js';

describe('cryptoRandom', () => {
  it('makes values of the right shape, never repeating', () => {
    const states = new Set(Array.from({ length: 2000 }, () => cryptoRandom.alnum(32)));
    expect(states.size).toBe(2000);
    for (const s of states) expect(s).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(cryptoRandom.digits(6)).toMatch(/^\d{6}$/);
    expect(cryptoRandom.token(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is uniform: every digit and every letter about equally often', () => {
    const count = (alphabet: string, text: string) => [...alphabet].map((c) => text.split(c).length - 1);
    const digits = count('0123456789', cryptoRandom.digits(100_000));
    for (const n of digits) expect(Math.abs(n - 10_000)).toBeLessThan(600);
    const alnum = count('Aa0Zz9', cryptoRandom.alnum(620_000));
    for (const n of alnum) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });
});
