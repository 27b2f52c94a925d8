import SQLite from 'better-sqlite3';
import { unavailable } from '../errors.js';
import type { Kv, Limit, LimitResult } from './types.js';

/** How long an operation waits for the write lock before it answers 503, as busy_timeout would. */
const BUSY_WAIT_MS = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS wxauth_kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wxauth_kv_expires_at ON wxauth_kv (expires_at);`;

const isBusy = (err: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((err as { code?: string }).code ?? '');

/**
 * The embedded default's state (no REDIS_URL, DATABASE_URL=sqlite:…): a table in the same database
 * file, so sessions, flows, SMS codes and limits outlive a restart, a SIGKILL included. Each operation
 * is one synchronous statement or transaction, committed when its promise settles; that is what makes
 * take, setIfAbsent, delIfEquals, incr and hit atomic, as GETDEL and Lua are in Redis.
 *
 * A connection of its own, beside Kysely's: the store holds SQLite's write lock across awaits inside
 * its transactions, and a kv write on the same connection would join (and roll back with) them. Here
 * it waits for the lock off the event loop instead (busy_timeout 0, retried on a timer): blocking in
 * busy_timeout would stall the very transaction it waits for.
 */
export function openSqliteKv(
  path: string,
  options: { now?: () => number; purgeEveryMs?: number } = {},
): Kv & { purge(): number } {
  const now = options.now ?? Date.now;
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  // As the store's connection: a commit is in the WAL (the OS's page cache) when it returns, so a
  // killed process loses nothing; only a power cut may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 0');
  db.exec(SCHEMA);

  const q = {
    get: db.prepare<[string, number], { value: string }>(
      'SELECT value FROM wxauth_kv WHERE key = ? AND expires_at > ?',
    ),
    entry: db.prepare<[string, number], { value: string; expires_at: number }>(
      'SELECT value, expires_at FROM wxauth_kv WHERE key = ? AND expires_at > ?',
    ),
    set: db.prepare<[string, string, number]>(
      `INSERT INTO wxauth_kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    take: db.prepare<[string], { value: string; expires_at: number }>(
      'DELETE FROM wxauth_kv WHERE key = ? RETURNING value, expires_at',
    ),
    del: db.prepare<[string]>('DELETE FROM wxauth_kv WHERE key = ?'),
    setIfAbsent: db.prepare<[string, string, number, number]>(
      `INSERT INTO wxauth_kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE wxauth_kv.expires_at <= ?`,
    ),
    delIfEquals: db.prepare<[string, string, number]>(
      'DELETE FROM wxauth_kv WHERE key = ? AND value = ? AND expires_at > ?',
    ),
    // A counter lives from its first count: an expired one starts again at 1 with a new lifetime.
    incr: db.prepare<{ key: string; expires: number; now: number }, { value: string }>(
      `INSERT INTO wxauth_kv (key, value, expires_at) VALUES (:key, '1', :expires)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN expires_at <= :now THEN '1' ELSE CAST(value AS INTEGER) + 1 END,
         expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END
       RETURNING value`,
    ),
    purge: db.prepare<[number, number]>(
      'DELETE FROM wxauth_kv WHERE key IN (SELECT key FROM wxauth_kv WHERE expires_at <= ? LIMIT ?)',
    ),
  };

  const bump = (key: string, ttlMs: number, t: number) =>
    Number(q.incr.get({ key, expires: t + ttlMs, now: t })!.value);

  // Looks first and counts only when no limit is used up, in one write transaction.
  const hit = db.transaction((limits: Limit[], t: number): LimitResult => {
    const entries = limits.map((l) => q.entry.get(l.key, t));
    const full = entries.flatMap((e, i) => (e && Number(e.value) >= limits[i]!.max ? [e.expires_at - t] : []));
    if (full.length) return { ok: false, retryAfterMs: Math.max(...full) };
    for (const l of limits) bump(l.key, l.windowMs, t);
    return { ok: true };
  });

  /** Runs a synchronous operation, retrying on a timer while another connection writes. */
  async function run<T>(op: () => T): Promise<T> {
    const deadline = performance.now() + BUSY_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        return op();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (performance.now() > deadline) throw unavailable('state');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  const parse = <T>(row: { value: string } | undefined) => (row ? (JSON.parse(row.value) as T) : undefined);

  /** Removes expired entries in batches, so no one statement holds the lock for long. */
  function purge(): number {
    let removed = 0;
    for (let n = 1000; n === 1000; removed += n) n = q.purge.run(now(), 1000).changes;
    return removed;
  }
  const purging = setInterval(() => {
    try {
      purge();
    } catch {
      // Busy or failing now: the next round tries again, and reads ignore expired entries meanwhile.
    }
  }, options.purgeEveryMs ?? 60_000);
  purging.unref();

  return {
    get: <T>(key: string) => run(() => parse<T>(q.get.get(key, now()))),
    set: (key, value, ttlMs) =>
      run(() => {
        q.set.run(key, JSON.stringify(value), now() + ttlMs);
      }),
    take: <T>(key: string) =>
      run(() => {
        const row = q.take.get(key);
        return row && row.expires_at > now() ? (JSON.parse(row.value) as T) : undefined;
      }),
    del: (key) =>
      run(() => {
        q.del.run(key);
      }),
    setIfAbsent: (key, value, ttlMs) =>
      run(() => {
        const t = now();
        return q.setIfAbsent.run(key, JSON.stringify(value), t + ttlMs, t).changes === 1;
      }),
    delIfEquals: (key, value) => run(() => q.delIfEquals.run(key, JSON.stringify(value), now()).changes === 1),
    incr: (key, ttlMs) => run(() => bump(key, ttlMs, now())),
    hit: (limits) => run(() => hit.immediate(limits, now())),
    ping: () =>
      run(() => {
        q.get.get('', 0);
      }),
    purge,
    async close() {
      clearInterval(purging);
      db.close();
    },
  };
}
