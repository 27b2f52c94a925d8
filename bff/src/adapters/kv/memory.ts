import type { Entry as Next, Kv, Limit, LimitResult } from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** The in-process store: one instance only. Expired entries are swept every minute. */
export function createMemoryKv(now: () => number = Date.now): Kv {
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = setInterval(() => {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }, 60_000);
  sweep.unref();

  const count = (key: string) => (live(key) ? Number(live(key)!.value) : 0);
  const bump = (key: string, ttlMs: number) => {
    const entry = live(key);
    const next = (entry ? Number(entry.value) : 0) + 1;
    entries.set(key, { value: String(next), expiresAt: entry?.expiresAt ?? now() + ttlMs });
    return next;
  };

  return {
    async get<T>(key: string) {
      const entry = live(key);
      return entry ? (JSON.parse(entry.value) as T) : undefined;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value: JSON.stringify(value), expiresAt: now() + ttlMs });
    },
    async take<T>(key: string) {
      const entry = live(key);
      if (!entry) return undefined;
      entries.delete(key);
      return JSON.parse(entry.value) as T;
    },
    async takeThenSet<T>(key: string, then: (value: T) => Next | undefined) {
      const entry = live(key);
      if (!entry) return undefined;
      entries.delete(key);
      const value = JSON.parse(entry.value) as T;
      const next = then(value);
      if (next) entries.set(next.key, { value: JSON.stringify(next.value), expiresAt: now() + next.ttlMs });
      return value;
    },
    async del(key) {
      entries.delete(key);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      entries.set(key, { value: JSON.stringify(value), expiresAt: now() + ttlMs });
      return true;
    },
    async delIfEquals(key, value) {
      if (live(key)?.value !== JSON.stringify(value)) return false;
      entries.delete(key);
      return true;
    },
    async incr(key, ttlMs) {
      return bump(key, ttlMs);
    },
    async hit(limits: Limit[]): Promise<LimitResult> {
      const full = limits.filter((l) => count(l.key) >= l.max);
      if (full.length) {
        const retryAfterMs = Math.max(...full.map((l) => live(l.key)!.expiresAt - now()));
        return { ok: false, retryAfterMs };
      }
      for (const l of limits) bump(l.key, l.windowMs);
      return { ok: true };
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}
