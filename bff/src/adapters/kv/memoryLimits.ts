import type { LimitResult } from './types.js';

/**
 * Short budgets counted in this process's memory, for the limits that need no durability: the per-IP
 * budgets of a minute against floods. A restart starting them again lets a client through at most one
 * more window's worth; writing each hit to the state's file cost a commit per request (issue 29).
 * Longer budgets (password guesses, SMS) stay in the shared state, which outlives a restart.
 *
 * The same rule as the stores' `hit`: refused when used up, else counted; a counter lives from its
 * first count. Counters sit in two generations swapped every `longestMs`, so an expired one is dropped
 * with its generation, never looked for one by one: no sweep walks a large map on the event loop.
 * Each budget has its maps, keyed by the address alone, and a counter is a small integer (its end, in
 * ms after its generation began, × 1024 + its count), which V8 keeps in the map's slot: about 55 bytes
 * an address, where a key with the budget's name and a boxed number took 80 (issue 29, memory).
 */
export function createMemoryLimits(options: { now?: () => number; longestMs?: number } = {}) {
  const now = options.now ?? Date.now;
  const longestMs = options.longestMs ?? 60_000;
  const MAX_COUNT = 1023;

  interface Generation {
    since: number;
    counters: Map<string, number>;
  }
  const budgets = new Map<string, { current: Generation; previous: Generation }>();
  let swappedAt = now();

  const fresh = (since: number): Generation => ({ since, counters: new Map() });
  const pack = (g: Generation, endsAt: number, count: number) => (endsAt - g.since) * 1024 + count;
  const endOf = (g: Generation, packed: number) => Math.floor(packed / 1024) + g.since;
  const countOf = (packed: number) => packed % 1024;

  /** Every budget's generations move on together: the older is dropped whole. */
  function swap(t: number): void {
    if (t - swappedAt < longestMs) return;
    const dropAll = t - swappedAt >= 2 * longestMs;
    for (const b of budgets.values()) {
      b.previous = dropAll ? fresh(t) : b.current;
      b.current = fresh(t);
    }
    swappedAt = t;
  }

  return {
    /** Counts a hit of `id` (an address) against the budget `name`: `max` in `windowMs`. */
    hit(name: string, id: string, max: number, windowMs: number): LimitResult {
      if (windowMs > longestMs) throw new Error(`a limit of ${windowMs} ms is longer than this limiter keeps`);
      const t = now();
      swap(t);
      let b = budgets.get(name);
      if (!b) budgets.set(name, (b = { current: fresh(swappedAt), previous: fresh(swappedAt) }));
      let packed = b.current.counters.get(id);
      let endsAt = packed === undefined ? 0 : endOf(b.current, packed);
      if (packed === undefined) {
        const old = b.previous.counters.get(id);
        if (old !== undefined) {
          b.previous.counters.delete(id);
          endsAt = endOf(b.previous, old);
          packed = old;
        }
      }
      if (packed === undefined || endsAt <= t) {
        b.current.counters.set(id, pack(b.current, t + windowMs, 1));
        return { ok: true };
      }
      const count = countOf(packed);
      if (count >= Math.min(max, MAX_COUNT)) {
        b.current.counters.set(id, pack(b.current, endsAt, count));
        return { ok: false, retryAfterMs: endsAt - t };
      }
      b.current.counters.set(id, pack(b.current, endsAt, count + 1));
      return { ok: true };
    },
    /** How many counters are kept now (every budget, both generations), for tests. */
    get size() {
      let n = 0;
      for (const b of budgets.values()) n += b.current.counters.size + b.previous.counters.size;
      return n;
    },
  };
}

export type MemoryLimits = ReturnType<typeof createMemoryLimits>;
