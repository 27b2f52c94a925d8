import type { Limit, LimitResult } from './types.js';

/**
 * Short budgets counted in this process's memory, for the limits that need no durability: the per-IP
 * budgets of a minute against floods. A restart starting them again lets a client through at most one
 * more window's worth; writing each hit to the state's file cost a commit per request (issue 29).
 * Longer budgets (password guesses, SMS) stay in the shared state, which outlives a restart.
 *
 * The same rule as the stores' `hit`: look first, count only when no limit is used up; a counter lives
 * from its first count. Counters sit in two generations swapped every `longestMs`, so an expired one
 * is dropped with its generation, never looked for one by one: no sweep walks a large map on the
 * event loop. A counter is a number, its count and its end packed (ms since this limiter began × 1024
 * + count): a few dozen bytes per address.
 */
export function createMemoryLimits(options: { now?: () => number; longestMs?: number } = {}) {
  const now = options.now ?? Date.now;
  const longestMs = options.longestMs ?? 60_000;
  const since = now();
  let current = new Map<string, number>();
  let previous = new Map<string, number>();
  let swappedAt = since;

  const MAX_COUNT = 1023;
  const pack = (endsAt: number, count: number) => (endsAt - since) * 1024 + count;
  const endOf = (packed: number) => Math.floor(packed / 1024) + since;
  const countOf = (packed: number) => packed % 1024;

  /** The live counter of `key`, moved into the current generation; undefined when none or expired. */
  const counter = (key: string, t: number): number | undefined => {
    let packed = current.get(key);
    if (packed === undefined) {
      packed = previous.get(key);
      if (packed === undefined) return undefined;
      previous.delete(key);
      if (endOf(packed) > t) current.set(key, packed);
    }
    return endOf(packed) > t ? packed : undefined;
  };

  return {
    hit(limits: Limit[]): LimitResult {
      const t = now();
      // Every counter in `previous` began at most two generations ago: with windows of at most
      // `longestMs`, all of them have ended once it is swapped out again.
      if (t - swappedAt >= longestMs) {
        previous = t - swappedAt >= 2 * longestMs ? new Map() : current;
        current = new Map();
        swappedAt = t;
      }
      for (const l of limits)
        if (l.windowMs > longestMs) throw new Error(`a limit of ${l.windowMs} ms is longer than this limiter keeps`);
      const counters = limits.map((l) => counter(l.key, t));
      const full = counters.flatMap((c, i) =>
        c !== undefined && countOf(c) >= Math.min(limits[i]!.max, MAX_COUNT) ? [endOf(c) - t] : [],
      );
      if (full.length) return { ok: false, retryAfterMs: Math.max(...full) };
      limits.forEach((l, i) => {
        const c = counters[i];
        current.set(l.key, c === undefined ? pack(t + l.windowMs, 1) : c + 1);
      });
      return { ok: true };
    },
    /** How many counters are kept now (both generations), for tests. */
    get size() {
      return current.size + previous.size;
    },
  };
}

export type MemoryLimits = ReturnType<typeof createMemoryLimits>;
