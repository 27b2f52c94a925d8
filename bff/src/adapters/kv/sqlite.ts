import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { unavailable } from '../../platform/errors.js';
import { attachStateStore } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { Entry, Kv, Limit, LimitResult } from './types.js';

/** How long an operation waits for the write lock before it answers 503, as busy_timeout would. */
const BUSY_WAIT_MS = 5000;

// No index on expires_at: it would be one more page written by every write, and the purge walks
// the keys a thousand at a time instead.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS wxauth_kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;`;

const isBusy = (err: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((err as { code?: string }).code ?? '');

/**
 * The embedded default's state (no REDIS_URL, DATABASE_URL=sqlite:…): a table in the same database
 * file, so sessions, flows, SMS codes and limits outlive a restart, a SIGKILL included. Each operation
 * is one statement, or one savepoint (hit), run synchronously on a connection of its own: that is what
 * makes take, setIfAbsent, delIfEquals, incr and hit atomic, as GETDEL and Lua are in Redis.
 *
 * Group commit: the operations of one turn of the event loop share one IMMEDIATE transaction,
 * committed before the next turn (setImmediate), and none settles before its commit, so no answer
 * ever goes out for state a kill could lose. One commit per turn instead of one per operation is most
 * of what the state costs on the login path.
 *
 * Its own connection, so a kv write never joins (or rolls back with) one of the store's
 * transactions. `store`: the store's database on the same file, which takes the write lock only
 * after this connection has committed (its writes flush the open batch first; attachStateStore); while a store
 * transaction holds the lock, an operation here waits for it on a timer, never in busy_timeout,
 * which would block the very event loop that transaction needs to finish.
 */
export function openSqliteKv(
  path: string,
  options: { now?: () => number; purgeEveryMs?: number; checkpointEveryMs?: number; store?: Kysely<Database> } = {},
): Kv & { purge(): Promise<number> } {
  const now = options.now ?? Date.now;
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  // As the store's connection: a commit is in the WAL (the OS's page cache) when it returns, so a
  // killed process loses nothing; only a power cut may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 0');
  // Checkpoints once a second (below), not every 1,000 pages of WAL: the same hot pages are written
  // many times a second, and each checkpoint copies a page once and syncs the file once.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  db.exec(SCHEMA);

  const q = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
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
    chunkEnd: db
      .prepare<[string], string | null>(
        'SELECT max(key) FROM (SELECT key FROM wxauth_kv WHERE key > ? ORDER BY key LIMIT 1000)',
      )
      .pluck(),
    purge: db.prepare<[string, string, number]>('DELETE FROM wxauth_kv WHERE key > ? AND key <= ? AND expires_at <= ?'),
  };

  const bump = (key: string, ttlMs: number, t: number) =>
    Number(q.incr.get({ key, expires: t + ttlMs, now: t })!.value);

  // Looks first and counts only when no limit is used up. Several counts are one savepoint within
  // the batch; one is one statement, atomic on its own.
  const look = (limits: Limit[], t: number): LimitResult => {
    const entries = limits.map((l) => q.entry.get(l.key, t));
    const full = entries.flatMap((e, i) => (e && Number(e.value) >= limits[i]!.max ? [e.expires_at - t] : []));
    if (full.length) return { ok: false, retryAfterMs: Math.max(...full) };
    for (const l of limits) bump(l.key, l.windowMs, t);
    return { ok: true };
  };
  const lookAll = db.transaction(look);
  const hit = (limits: Limit[], t: number) => (limits.length === 1 ? look(limits, t) : lookAll(limits, t));

  /** The open batch: how to settle each operation in it once it is committed (or failed). */
  let batch: Array<(err?: unknown) => void> | null = null;

  function commit(): void {
    const settle = batch;
    if (!settle) return;
    batch = null;
    let failed: unknown;
    try {
      q.commit.run();
    } catch (err) {
      failed = err;
      if (db.inTransaction) q.rollback.run();
    }
    for (const s of settle) s(failed);
  }

  /** Runs `op` in the open batch, opening one if need be; settles once the batch is committed. */
  async function inBatch<T>(op: () => T): Promise<T> {
    const deadline = performance.now() + BUSY_WAIT_MS;
    for (let wait = 1; !batch; wait = Math.min(wait * 2, 20)) {
      try {
        q.begin.run();
        batch = [];
        setImmediate(commit);
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (performance.now() > deadline) throw unavailable('state');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    const result = op();
    await new Promise<void>((resolve, reject) => batch!.push((err) => (err ? reject(err) : resolve())));
    return result;
  }

  /** A read outside a batch answers at once; inside one it saw the batch's writes, so it waits for them. */
  const read = <T>(op: () => T): Promise<T> => (batch ? inBatch(op) : new Promise<T>((resolve) => resolve(op())));

  const parse = <T>(row: { value: string } | undefined) => (row ? (JSON.parse(row.value) as T) : undefined);

  /** Removes expired entries, walking the keys a thousand per batch, so no batch holds the lock for long. */
  async function purge(): Promise<number> {
    let removed = 0;
    const chunk = (from: string): string | null => {
      const last = q.chunkEnd.get(from) ?? null;
      if (last !== null) removed += q.purge.run(from, last, now()).changes;
      return last;
    };
    for (let after: string | null = ''; after !== null;) {
      const from: string = after;
      after = await inBatch(() => chunk(from));
    }
    return removed;
  }

  // Failing now (busy past the wait, the disk): the next round tries again; reads skip expired entries.
  const purging = setInterval(() => void purge().catch(() => undefined), options.purgeEveryMs ?? 60_000);
  purging.unref();
  const checkpointer = startCheckpointer(path, options.checkpointEveryMs ?? 1000);
  const detach = options.store ? attachStateStore(options.store, commit) : undefined;

  return {
    get: <T>(key: string) => read(() => parse<T>(q.get.get(key, now()))),
    set: (key, value, ttlMs) =>
      inBatch(() => {
        q.set.run(key, JSON.stringify(value), now() + ttlMs);
      }),
    take: <T>(key: string) =>
      inBatch(() => {
        const row = q.take.get(key);
        return row && row.expires_at > now() ? (JSON.parse(row.value) as T) : undefined;
      }),
    takeThenSet: <T>(key: string, then: (value: T) => Entry | undefined) =>
      inBatch(() => {
        const row = q.take.get(key);
        if (!row || row.expires_at <= now()) return undefined;
        const value = JSON.parse(row.value) as T;
        const next = then(value);
        if (next) q.set.run(next.key, JSON.stringify(next.value), now() + next.ttlMs);
        return value;
      }),
    del: (key) =>
      inBatch(() => {
        q.del.run(key);
      }),
    setIfAbsent: (key, value, ttlMs) =>
      inBatch(() => {
        const t = now();
        return q.setIfAbsent.run(key, JSON.stringify(value), t + ttlMs, t).changes === 1;
      }),
    delIfEquals: (key, value) => inBatch(() => q.delIfEquals.run(key, JSON.stringify(value), now()).changes === 1),
    incr: (key, ttlMs) => inBatch(() => bump(key, ttlMs, now())),
    hit: (limits) => inBatch(() => hit(limits, now())),
    ping: () =>
      read(() => {
        q.get.get('', 0);
      }),
    purge,
    async close() {
      clearInterval(purging);
      // The checkpointer first: nothing may come between the last commit and the close.
      await checkpointer.stop();
      detach?.();
      commit();
      db.close();
    },
  };
}

/**
 * The worker's code: its own connection to the file, a PASSIVE checkpoint every `everyMs`, never
 * waiting for a lock (busy: the next round copies what this one would have). Plain JavaScript, so the
 * same code runs from the sources (tests) and from dist.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.sqlite);
const db = new SQLite(workerData.path);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints the file from a worker thread, off the event loop: copying the WAL back and syncing
 * the file took 20–45 ms at a benchmark's write rate (issue 18), every second, on the thread that
 * answers requests. The worker's heap is kept small (it holds one connection and a timer); SQLite's
 * own memory is outside it either way.
 */
function startCheckpointer(path: string, everyMs: number): { stop(): Promise<void> } {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { path, everyMs, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') },
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, codeRangeSizeMb: 2, stackSizeMb: 1 },
    stdout: false,
    stderr: false,
  });
  worker.unref();
  // A worker that could not start or died (its heap limit): the WAL grows until the next start, the
  // journal_size_limit bounds what is left of it after a checkpoint, and nothing else is affected.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Held until it has closed its connection: the database is closed after it.
      worker.ref();
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      await worker.terminate();
    },
  };
}
