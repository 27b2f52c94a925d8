import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import Sqlite from 'better-sqlite3';
import { sqliteFile } from './adapters/store/db.js';
import { readEnvironment } from './platform/configSchema.js';

/**
 * `pnpm backup:sqlite <dest>`: a consistent copy of the SQLite database of DATABASE_URL, taken while the
 * BFF runs (SQLite's online backup API, page by page, never a `cp` of a live WAL database, which can
 * miss what the WAL holds). Written beside <dest> and moved over it once checked, readable by its owner
 * only: it holds phone numbers and sessions.
 */
const USAGE = 'usage: pnpm backup:sqlite <dest>   (an online copy of the SQLite database of DATABASE_URL)';
const dest = process.argv[2];
if (!dest || dest === '--help' || dest === '-h') {
  console.log(USAGE);
  process.exit(0);
}
if (dest.startsWith('-')) {
  console.error(`unknown option ${dest}\n${USAGE}`);
  process.exit(64);
}
const { value: url, problems } = readEnvironment(process.env).DATABASE_URL;
const source = problems.length ? null : sqliteFile(url);
if (!source) {
  console.error(
    problems[0] ??
      'DATABASE_URL is not a SQLite file: back MySQL or MariaDB up with mariadb-dump (docs/guide/running.md)',
  );
  process.exit(65);
}

let db;
try {
  db = new Sqlite(source, { fileMustExist: true });
} catch (err) {
  console.error(`${source}: ${(err as Error).message}`);
  process.exit(66);
}
const partial = `${dest}.${process.pid}.tmp`;
try {
  await writeFile(partial, '', { mode: 0o600 });
  const { totalPages } = await db.backup(partial);
  await chmod(partial, 0o600);
  // The copy inherits the live database's WAL mode; a read-only connection to it would leave its -wal
  // and -shm files behind. Turned back to a rollback journal, the copy is one self-contained file (the
  // BFF puts it in WAL mode again when it opens a restored copy).
  const copy = new Sqlite(partial);
  copy.pragma('journal_mode = DELETE');
  const check = copy.pragma('integrity_check', { simple: true });
  copy.close();
  if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
  await rename(partial, dest);
  console.error(`${source} → ${dest}: ${totalPages} pages, integrity ok`);
} catch (err) {
  for (const file of [partial, `${partial}-wal`, `${partial}-shm`]) await rm(file, { force: true });
  console.error(`${dest}: ${(err as Error).message}`);
  process.exit(74);
} finally {
  db.close();
}
