import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  MysqlDialect,
  SqliteDialect,
  type Compilable,
  type Migration,
  type SqliteDatabase,
} from 'kysely';
import type * as Mysql2 from 'mysql2';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_profile_tokens.js';
import * as m003 from './migrations/003_host_accounts.js';
import * as m004 from './migrations/004_customer_origin.js';
import * as m005 from './migrations/005_oidc_grants.js';
import * as m006 from './migrations/006_audit.js';
import type { Database } from './schema.js';

/** Migrations are listed here, not read from disk, so the built image needs no migration folder. */
const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_profile_tokens': m002,
  '003_host_accounts': m003,
  '004_customer_origin': m004,
  '005_oidc_grants': m005,
  '006_audit': m006,
};

/**
 * Opens `sqlite:<path>` (`sqlite::memory:` for tests), creating the file and its folder on first start,
 * or `mysql://user:password@host:port/database` (MySQL 8 or MariaDB 10.6+) through a pool.
 */
export function openDatabase(url: string, poolSize = 10): Kysely<Database> {
  if (url.startsWith('mysql:')) return openMysql(url, poolSize);
  const path = url.replace(/^sqlite:/, '');
  if (path !== ':memory:') {
    // Customers' phone numbers and WeChat ids: a new folder and a new file are the owner's alone (an
    // existing one keeps what its operator set). SQLite gives its -wal and -shm the file's permissions.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  }
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // Safe under WAL: a power cut may lose the last commits, never corrupt the file; and commits stop
  // waiting on fsync, which better-sqlite3 would do on the event loop.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const hooks = new Set<() => void>();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, hooks) }) });
  attachable.set(db, { sqlite, hooks });
  return db;
}

/** The migrations this build has, in the order they run: what a migrated database has recorded. */
export const migrationNames = (): string[] => Object.keys(migrations).sort();

/**
 * A connection for looking at a database from outside the BFF (preflight): SQLite read-only, never
 * creating the file (null when there is none); MySQL through a single connection.
 */
export function openForInspection(url: string): Kysely<Database> | null {
  if (url.startsWith('mysql:')) return openMysql(url, 1);
  const path = url.replace(/^sqlite:/, '');
  if (!existsSync(path)) return null;
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SQLite(path, { readonly: true, fileMustExist: true }) }),
  });
}

const attachable = new WeakMap<Kysely<Database>, { sqlite: SQLite.Database; hooks: Set<() => void> }>();

/**
 * The state store on the same SQLite file (kv/sqlite.ts) joins the store's connection: `flush` runs
 * before each statement of the store's that may take the write lock (a write, a BEGIN), so the state
 * store commits what it holds first; and checkpoints are left to it, or each of the store's rare
 * writes would copy back a second of the state's busy WAL. Returns the way to detach.
 */
export function attachStateStore(db: Kysely<Database>, flush: () => void): () => void {
  const found = attachable.get(db);
  if (!found) return () => undefined;
  found.hooks.add(flush);
  found.sqlite.pragma('wal_autocheckpoint = 0');
  return () => {
    found.hooks.delete(flush);
    if (!found.hooks.size && found.sqlite.open) found.sqlite.pragma('wal_autocheckpoint = 1000');
  };
}

/**
 * A query built and compiled once, then run with each call's values: Kysely builds and compiles a
 * query anew on every call, which was most of its cost on the login path. `build` runs once, with
 * placeholders for its arguments; each argument must reach the query as a parameter of its own (a
 * `where` value), never decide its shape (`if (id) …`), since the compiled SQL is kept.
 */
export function precompiled<A extends Array<string | number>, R>(
  db: Kysely<Database>,
  build: (...args: A) => Compilable<R>,
): (...args: A) => Promise<R[]> {
  const marks = Array.from({ length: build.length }, (_, i) => `\u0000wxauth-arg-${i}\u0000`);
  const compiled = build(...(marks as A)).compile();
  const slots = compiled.parameters.map((p) => marks.indexOf(p as string));
  if (marks.some((_, i) => !slots.includes(i)))
    throw new Error(`precompiled: every argument must be a parameter of ${compiled.sql}`);
  // SQLite: a read outside the store's transactions runs on the connection directly, as Kysely's driver
  // would run it (one synchronous step, the rows as better-sqlite3 gives them), without its connection
  // queue and the promises around it; inside one (another request's, between two awaits) it waits its
  // turn through Kysely, so it never sees that transaction's uncommitted writes.
  const sqlite = attachable.get(db)?.sqlite;
  let direct: SQLite.Statement | undefined;
  return async (...args) => {
    const parameters = slots.map((slot, i) => (slot < 0 ? compiled.parameters[i] : args[slot]));
    if (sqlite && !sqlite.inTransaction) {
      direct ??= sqlite.prepare(compiled.sql);
      if (direct.reader) return direct.all(parameters) as R[];
    }
    return (await db.executeQuery<R>({ ...compiled, parameters })).rows;
  };
}

/** The file of a `sqlite:<path>` URL; null for MySQL and for SQLite in memory. */
export function sqliteFile(url: string): string | null {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : null;
  return path === ':memory:' ? null : path;
}

const require = createRequire(import.meta.url);

function openMysql(url: string, poolSize: number): Kysely<Database> {
  // Loaded only for a mysql: URL: some 15 MB of memory that the SQLite default does without.
  const { createPool } = require('mysql2') as typeof Mysql2;
  const pool = createPool({
    uri: url,
    charset: 'utf8mb4',
    connectionLimit: poolSize,
    // A server that is down must fail a request quickly, not hold it.
    connectTimeout: 3000,
    enableKeepAlive: true,
    // Times are BIGINT milliseconds: well inside a double, so plain numbers.
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
}

/**
 * Kysely prepares every query anew; our queries are a small fixed set, so each is prepared once.
 * (Safe: better-sqlite3 runs statements synchronously and we never iterate one.)
 *
 * Transactions begin IMMEDIATE, holding the write lock from their start: the state store writes
 * the same file from a connection of its own (kv/sqlite.ts), and a deferred transaction that read
 * before its commit could no longer write (SQLITE_BUSY_SNAPSHOT, "database is locked").
 */
function withStatementCache(sqlite: SQLite.Database, beforeWrite: Set<() => void>): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    // Kysely runs the statement it is handed at once, in the same synchronous step.
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        if (cache.size >= 500) cache.clear();
        statement = sqlite.prepare(sqlText === 'begin' ? 'begin immediate' : sqlText);
        cache.set(sqlText, statement);
      }
      if (!statement.reader && !sqlite.inTransaction) for (const flush of beforeWrite) flush();
      return statement;
    },
  } as SqliteDatabase;
}

/** Brings the database to the latest migration (or to `to`, for the tests of a migration). */
export async function migrate(db: Kysely<Database>, to?: string): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to);
  const failed = results?.find((r) => r.status === 'Error');
  if (failed) throw new Error(`DATABASE_URL: migration ${failed.migrationName} failed: ${String(error)}`);
  if (error) throw new Error(`DATABASE_URL: cannot migrate the database (${(error as Error).message ?? error})`);
}
