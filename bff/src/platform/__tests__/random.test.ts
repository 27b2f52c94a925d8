import { describe, expect, it } from 'vitest';
import { STATE_PATTERN } from '@wxauth/contract';
import { cryptoRandom, timeOrderedAlnum } from '../random.js';

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

// A key that grows with time lands where the last one did in the state's B-tree (SQLite), instead of
// on a page of its own: the login's states and their outcomes are filed under such values.
describe('timeOrderedAlnum', () => {
  it('is a state WeChat takes back (32 letters and digits) that sorts by the time it was made', () => {
    const t0 = Date.UTC(2026, 11, 7);
    const times = [t0, t0, t0 + 1, t0 + 999, t0 + 86_400_000, Date.UTC(2059, 0, 1), Date.UTC(2100, 0, 1)];
    const values = times.map((t) => timeOrderedAlnum(cryptoRandom, t, 32));
    for (const v of values) expect(v).toMatch(STATE_PATTERN);
    for (let i = 1; i < values.length; i++)
      if (times[i]! > times[i - 1]!) expect(values[i]! > values[i - 1]!).toBe(true);
    expect(values[0]!.slice(0, 9)).toBe(values[1]!.slice(0, 9));
    expect(values[0]).not.toBe(values[1]);
  });

  // 23 characters of 62 each: log2(62^23) ≈ 136.9 bits, if every one of them is drawn. Distinct values
  // alone do not show it (8 random characters and 15 fixed ones are distinct too): over 2,000 values each
  // position takes every character about equally often (32 times, σ ≈ 5.6), and no two move together.
  it('keeps 23 random characters after the time (over 136 bits)', () => {
    const t = Date.UTC(2026, 11, 7);
    const tails = Array.from({ length: 2000 }, () => timeOrderedAlnum(cryptoRandom, t, 32).slice(9));
    for (const tail of tails) expect(tail).toMatch(/^[A-Za-z0-9]{23}$/);
    for (let i = 0; i < 23; i++) {
      const counts = new Map<string, number>();
      for (const tail of tails) counts.set(tail[i]!, (counts.get(tail[i]!) ?? 0) + 1);
      expect(counts.size, `position ${i}`).toBe(62);
      expect(Math.max(...counts.values()), `position ${i}`).toBeLessThan(80);
      for (let j = i + 1; j < 23; j++)
        expect(tails.filter((tail) => tail[i] === tail[j]).length, `positions ${i} and ${j}`).toBeLessThan(90);
    }
  });
});
