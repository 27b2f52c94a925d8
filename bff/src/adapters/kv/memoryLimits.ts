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
 * Each budget has its own counters, keyed by the client alone (limitPerIp's `clientKey`: an IPv4
 * address, or an IPv6 client's /64), and a counter is a small integer (its end, in ms after its
 * generation began, × 1024 + its count). An IPv4 address, written the usual way, is kept as its 32
 * bits beside its counter in two typed arrays, 8 bytes a slot, about 21 bytes an address with the
 * free slots; anything else (an IPv6 /64) in a Map, about 55 bytes. A flood of new addresses is what
 * these limits are for, and it is what they keep (issue 29, memory).
 */
export function createMemoryLimits(options: { now?: () => number; longestMs?: number } = {}) {
  const now = options.now ?? Date.now;
  const longestMs = options.longestMs ?? 60_000;
  // A packed counter holds an end up to 2 × longestMs after its generation began, in 32 bits.
  if (longestMs * 2 * 1024 + 1023 >= 2 ** 32) throw new Error(`createMemoryLimits: longestMs ${longestMs} is too long`);
  const MAX_COUNT = 1023;

  interface Generation {
    since: number;
    counters: Counters;
  }
  const budgets = new Map<string, { current: Generation; previous: Generation }>();
  let swappedAt = now();

  const fresh = (since: number): Generation => ({ since, counters: new Counters() });
  const pack = (g: Generation, endsAt: number, count: number) => (endsAt - g.since) * 1024 + count;
  const endOf = (g: Generation, packed: number) => Math.floor(packed / 1024) + g.since;
  const countOf = (packed: number) => packed % 1024;

  /**
   * Every budget's generations move on together: the older is dropped whole. A wall clock stepped back
   * (NTP, a VM resumed) drops both, as a restart would: an end before its generation began would pack
   * below zero, which the 32-bit table reads as an hour away.
   */
  function swap(t: number): void {
    if (t >= swappedAt && t - swappedAt < longestMs) return;
    const dropAll = t < swappedAt || t - swappedAt >= 2 * longestMs;
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
      const key = ipv4(id);
      let packed = b.current.counters.get(key, id);
      let endsAt = packed === undefined ? 0 : endOf(b.current, packed);
      if (packed === undefined) {
        // Counted in the generation before: carried over (the old copy goes with its generation).
        const old = b.previous.counters.get(key, id);
        if (old !== undefined) {
          endsAt = endOf(b.previous, old);
          packed = old;
        }
      }
      if (packed === undefined || endsAt <= t) {
        b.current.counters.set(key, id, pack(b.current, t + windowMs, 1));
        return { ok: true };
      }
      const count = countOf(packed);
      if (count >= Math.min(max, MAX_COUNT)) {
        b.current.counters.set(key, id, pack(b.current, endsAt, count));
        return { ok: false, retryAfterMs: endsAt - t };
      }
      b.current.counters.set(key, id, pack(b.current, endsAt, count + 1));
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

/**
 * An IPv4 address written the usual way (four decimal numbers of 0–255, no leading zero) as its 32
 * bits, or -1: then it is kept by its text. Two texts of one address (`01.2.3.4`) are two counters,
 * as they were before; an address is never taken for another.
 */
export function ipv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      if (c < 48 || c > 57 || (digits === 1 && part === 0)) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/**
 * One generation's counters of one budget. IPv4 addresses in an open-addressing table (linear
 * probing, at most half full, doubled when it would be more): a slot's key is the address, its value
 * the packed counter, 0 for a free slot (a counter is never 0: its count is at least 1). Counters are
 * set and read, never deleted: a generation is dropped whole.
 */
class Counters {
  private keys = new Uint32Array(256);
  private values = new Uint32Array(256);
  private used = 0;
  private readonly others = new Map<string, number>();

  get size(): number {
    return this.used + this.others.size;
  }

  /** The counter of `key` (`ipv4(id)`), or of the text `id` when `key` is -1. */
  get(key: number, id: string): number | undefined {
    if (key < 0) return this.others.get(id);
    const { keys, values } = this;
    const mask = keys.length - 1;
    for (let i = slotOf(key, mask); values[i] !== 0; i = (i + 1) & mask) if (keys[i] === key) return values[i];
    return undefined;
  }

  set(key: number, id: string, packed: number): void {
    if (key < 0) {
      this.others.set(id, packed);
      return;
    }
    if (!this.put(key, packed)) return;
    if (++this.used * 2 > this.keys.length) this.grow();
  }

  /** Puts the counter in its slot; true when the slot was free (a new address). */
  private put(key: number, packed: number): boolean {
    const { keys, values } = this;
    const mask = keys.length - 1;
    let i = slotOf(key, mask);
    for (; values[i] !== 0; i = (i + 1) & mask) {
      if (keys[i] === key) {
        values[i] = packed;
        return false;
      }
    }
    keys[i] = key;
    values[i] = packed;
    return true;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.values = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) if (values[i] !== 0) this.put(keys[i]!, values[i]!);
  }
}

/**
 * A slot for `key`: murmur3's finalizer over the address and a seed of this process's, so every bit of
 * an address moves the slot, and addresses picked to share one run of slots cannot be chosen ahead.
 */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0]!;
function slotOf(key: number, mask: number): number {
  let h = (key ^ SEED) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}

export type MemoryLimits = ReturnType<typeof createMemoryLimits>;
