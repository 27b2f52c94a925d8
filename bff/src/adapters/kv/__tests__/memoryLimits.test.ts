import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../platform/errors.js';
import { limitPerIp } from '../../../platform/http/limits.js';
import { createMemoryKv } from '../memory.js';
import { createMemoryLimits } from '../memoryLimits.js';

/** A clock the test moves. */
const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('the in-process limits for floods', () => {
  it('counts up to max, then refuses and says how long until the window ends', () => {
    const c = clock();
    const limits = createMemoryLimits({ now: c.now });
    for (let i = 0; i < 3; i++) expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: true });
    c.advance(10_000);
    expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: false, retryAfterMs: 50_000 });
    c.advance(50_000);
    expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: true });
  });

  it('keeps each budget and each address apart', () => {
    const limits = createMemoryLimits({ now: clock().now });
    expect(limits.hit('login', 'a', 1, 60_000).ok).toBe(true);
    expect(limits.hit('login', 'a', 1, 60_000).ok).toBe(false);
    expect(limits.hit('login', 'b', 1, 60_000).ok).toBe(true);
    expect(limits.hit('authorize', 'a', 1, 60_000).ok).toBe(true);
  });

  it('keeps a counter across a change of generation, and forgets every ended one without a sweep', () => {
    const c = clock();
    const limits = createMemoryLimits({ now: c.now, longestMs: 60_000 });
    for (let i = 0; i < 1000; i++) limits.hit('login', `ip${i}`, 2, 60_000);
    c.advance(59_000);
    limits.hit('login', 'late', 2, 60_000);
    c.advance(2_000);
    // A new generation: the late counter lives on (58 s of its minute left), used once of twice.
    expect(limits.hit('login', 'late', 2, 60_000).ok).toBe(true);
    expect(limits.hit('login', 'late', 2, 60_000)).toEqual({ ok: false, retryAfterMs: 58_000 });
    c.advance(60_000);
    limits.hit('login', 'other', 2, 60_000);
    // Two generations on, the thousand ended counters are gone with theirs.
    expect(limits.size).toBeLessThan(3);
  });

  it('refuses a window longer than it keeps', () => {
    const limits = createMemoryLimits({ longestMs: 60_000 });
    expect(() => limits.hit('k', 'ip', 1, 61_000)).toThrow(/longer/);
  });
});

describe('per-IP budgets (limitPerIp)', () => {
  /** Runs one request from `ip` through a route's budget: its status. */
  const through = async (mw: Koa.Middleware, ip: string) => {
    const ctx = { ip } as Koa.Context;
    try {
      await mw(ctx, async () => undefined);
      return 200;
    } catch (err) {
      return (err as AppError).status;
    }
  };

  it('counts a minute budget in memory, and a longer one (password guesses) in the state that outlives a restart', async () => {
    const kv = createMemoryKv();
    const seen: string[] = [];
    const floods = createMemoryLimits();
    const limit = limitPerIp(
      (budgets) => kv.hit(budgets),
      (name, ip, max, windowMs) => {
        seen.push(`${name}:${ip}`);
        return floods.hit(name, ip, max, windowMs);
      },
    );
    const login = limit('login', 2, 60_000);
    expect([await through(login, '1.2.3.4'), await through(login, '1.2.3.4'), await through(login, '1.2.3.4')]).toEqual(
      [200, 200, 429],
    );
    expect(seen).toEqual(['login:1.2.3.4', 'login:1.2.3.4', 'login:1.2.3.4']);
    expect(await kv.get('rl:login:1.2.3.4')).toBeUndefined();

    const guesses = limit('bind-password', 1, 15 * 60_000);
    expect([await through(guesses, '1.2.3.4'), await through(guesses, '1.2.3.4')]).toEqual([200, 429]);
    expect(seen).toHaveLength(3);
    expect(await kv.get('rl:bind-password:1.2.3.4')).toBe(1);
    await kv.close();
  });
});
