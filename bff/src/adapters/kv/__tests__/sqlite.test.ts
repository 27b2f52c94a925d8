import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../store/db.js';
import { openSqliteKv } from '../sqlite.js';
import type { Kv } from '../types.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'wxauth-kv-')), 'wxauth.db');
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
function open(path: string, options?: Parameters<typeof openSqliteKv>[1]): Kv {
  const kv = openSqliteKv(path, options);
  opened.push(kv);
  return kv;
}
const rows = (path: string) => {
  const db = new SQLite(path, { readonly: true });
  const { n } = db.prepare('SELECT count(*) AS n FROM wxauth_kv').get() as { n: number };
  db.close();
  return n;
};

describe('the SQLite store', () => {
  it('keeps every kind of state in the file, across a close and a reopen', async () => {
    const path = file();
    const before = open(path);
    await before.set('sess:a', { identityId: 7 }, 60_000);
    await before.incr('smstries:a', 60_000);
    expect(await before.setIfAbsent('lock', 'me', 60_000)).toBe(true);
    await before.hit([{ key: 'rl:x', max: 1, windowMs: 60_000 }]);
    await before.close();

    const after = open(path);
    expect(await after.get('sess:a')).toEqual({ identityId: 7 });
    expect(await after.incr('smstries:a', 60_000)).toBe(2);
    expect(await after.setIfAbsent('lock', 'you', 60_000)).toBe(false);
    const refused = await after.hit([{ key: 'rl:x', max: 1, windowMs: 60_000 }]);
    expect(refused.ok).toBe(false);
  });

  it('keeps what was written before a kill: each operation is committed when it settles', async () => {
    const path = file();
    const kv = open(path);
    await kv.set('state:s', { browser: 'b' }, 60_000);
    // Another process, as a restarted BFF would be, while this one still holds the file open.
    const other = new SQLite(path, { readonly: true });
    expect(other.prepare('SELECT value FROM wxauth_kv WHERE key = ?').get('state:s')).toEqual({
      value: '{"browser":"b"}',
    });
    other.close();
  });

  it('purges expired entries on its own, so the table does not grow without bound', async () => {
    const path = file();
    let t = 1_000_000;
    const kv = open(path, { now: () => t, purgeEveryMs: 20 });
    for (let i = 0; i < 2500; i++) await kv.set(`login:${i}`, { i }, 1000);
    await kv.set('sess:kept', { i: 'kept' }, 60_000);
    expect(rows(path)).toBe(2501);
    t += 1001;
    await new Promise((r) => setTimeout(r, 100));
    expect(rows(path)).toBe(1);
    expect(await kv.get('sess:kept')).toEqual({ i: 'kept' });
  });

  it("waits for the store's transaction without blocking the event loop, and stays out of it", async () => {
    const path = file();
    const db = openDatabase(`sqlite:${path}`);
    opened.push({ close: () => db.destroy() });
    await migrate(db);
    const kv = open(path, { store: db });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    let written = false;
    await db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('customers')
          .values({ ref: 'c1', phone: null, display_name: null, created_at: 1, updated_at: 1 })
          .execute();
        // The store holds SQLite's write lock across awaits: the kv waits for it, asynchronously.
        void kv.set('sess:during', 'x', 60_000).then(() => (written = true));
        await new Promise((r) => setTimeout(r, 50));
        expect(written).toBe(false);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    clearInterval(ticker);
    // The loop kept turning while the kv waited (a blocking wait would have stopped the ticker dead): how
    // often it turned is the machine's business, not this test's.
    expect(ticks).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    // The rollback undid the store's insert, not the kv's write: they are separate transactions.
    expect(written).toBe(true);
    expect(await kv.get('sess:during')).toBe('x');
    expect(await db.selectFrom('customers').selectAll().execute()).toEqual([]);
  });

  it("never makes the store's transaction fail: a kv write between its read and its write waits for it", async () => {
    const path = file();
    const db = openDatabase(`sqlite:${path}`);
    opened.push({ close: () => db.destroy() });
    await migrate(db);
    const kv = open(path, { store: db });
    let written = false;
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('customers').selectAll().execute();
      void kv.set('sess:between', 'x', 60_000).then(() => (written = true));
      await new Promise((r) => setTimeout(r, 20));
      // SQLite refuses a write from a transaction whose snapshot is older than another's commit.
      await trx
        .insertInto('customers')
        .values({ ref: 'c1', phone: null, display_name: null, created_at: 1, updated_at: 1 })
        .execute();
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(written).toBe(true);
    expect(await db.selectFrom('customers').select('ref').execute()).toEqual([{ ref: 'c1' }]);
  });

  it("commits what it holds before the store writes, so the store never waits for the kv's lock", async () => {
    const path = file();
    const db = openDatabase(`sqlite:${path}`);
    opened.push({ close: () => db.destroy() });
    await migrate(db);
    const kv = open(path, { store: db });
    const started = performance.now();
    // One turn: the kv's batch is open (its write lock held) when the store writes, in and out of a transaction.
    const set = kv.set('sess:a', 'x', 60_000);
    const customer = { phone: null, display_name: null, created_at: 1, updated_at: 1 };
    const plain = db
      .insertInto('customers')
      .values({ ref: 'c1', ...customer })
      .execute();
    const incr = kv.incr('rl:a', 60_000);
    const inTransaction = db.transaction().execute((trx) =>
      trx
        .insertInto('customers')
        .values({ ref: 'c2', ...customer })
        .execute(),
    );
    await Promise.all([set, plain, incr, inTransaction]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await kv.get('sess:a')).toBe('x');
    expect(await db.selectFrom('customers').select('ref').orderBy('ref').execute()).toEqual([
      { ref: 'c1' },
      { ref: 'c2' },
    ]);
  });

  it('settles nothing before its commit, and commits a turn of operations together', async () => {
    const path = file();
    const kv = open(path);
    const other = new SQLite(path, { readonly: true });
    opened.push(other);
    const count = () => (other.prepare('SELECT count(*) AS n FROM wxauth_kv').get() as { n: number }).n;
    const writes = Array.from({ length: 20 }, (_, i) => kv.set(`k${i}`, i, 60_000));
    // Still in the turn that wrote them: another connection sees none of them yet.
    expect(count()).toBe(0);
    await Promise.all(writes);
    expect(count()).toBe(20);
  });

  it("checkpoints for both connections, so the store's writes never copy back the state's WAL", async () => {
    const path = file();
    const db = openDatabase(`sqlite:${path}`);
    opened.push({ close: () => db.destroy() });
    await migrate(db);
    const autocheckpoint = async () =>
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0]!.wal_autocheckpoint;
    expect(await autocheckpoint()).toBe(1000);
    const kv = open(path, { store: db, checkpointEveryMs: 20 });
    expect(await autocheckpoint()).toBe(0);
    const write = async (round: number) => {
      for (let i = 0; i < 200; i++) await kv.set(`k${round}:${i}`, 'x'.repeat(500), 60_000);
      return statSync(`${path}-wal`).size;
    };
    const first = await write(1);
    // The checkpointer is a worker thread: its start takes a moment on a busy machine.
    await new Promise((r) => setTimeout(r, 1000));
    // Checkpointed meanwhile: the next writes start the WAL again from its beginning instead of growing it.
    expect(await write(2)).toBeLessThan(first * 1.5);
    await kv.close();
    expect(await autocheckpoint()).toBe(1000);
  });
});
