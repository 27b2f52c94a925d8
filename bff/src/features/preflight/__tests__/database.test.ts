import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../../../../scripts/servers.mjs';
import { migrate, openDatabase } from '../../../adapters/store/db.js';
import { checkDatabase } from '../database.js';

const check = async (databaseUrl: string) =>
  Object.fromEntries((await checkDatabase({ databaseUrl })).map((f) => [f.id, f]));
const statuses = (found: Awaited<ReturnType<typeof check>>) =>
  Object.fromEntries(Object.entries(found).map(([id, f]) => [id, f.status]));

/** A database the BFF has started on: migrated. */
async function migrated(url: string) {
  const db = openDatabase(url);
  await migrate(db);
  return db;
}

describe('the database', () => {
  it('SQLite, migrated by the BFF at start: reachable, every migration applied', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'preflight-db-')), 'wxauth.db')}`;
    await (await migrated(url)).destroy();
    const found = await check(url);
    expect(statuses(found)).toEqual({ database: 'ok', 'database.migrations': 'ok' });
    expect(found['database.migrations']!.summary.en).toContain('001_initial');
  });

  it('a migration not applied: fail, saying the BFF migrates at start', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'preflight-db-')), 'wxauth.db')}`;
    const db = await migrated(url);
    await sql`DELETE FROM kysely_migration WHERE name = '002_profile_tokens'`.execute(db);
    await db.destroy();
    const found = await check(url);
    expect(found['database.migrations']).toMatchObject({ status: 'fail' });
    expect(found['database.migrations']!.summary.en).toContain('002_profile_tokens');
  });

  it('a migration this build does not know (a newer database): a warning', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'preflight-db-')), 'wxauth.db')}`;
    const db = await migrated(url);
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('999_from_the_future', '2030-01-01')`.execute(db);
    await db.destroy();
    expect((await check(url))['database.migrations']!.status).toBe('warn');
  });

  it('no SQLite file: fail, and preflight does not make one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'preflight-db-')), 'missing', 'wxauth.db');
    const found = await check(`sqlite:${file}`);
    expect(statuses(found)).toEqual({ database: 'fail', 'database.migrations': 'skip' });
    expect(existsSync(file)).toBe(false);
  });

  it('SQLite in memory (tests only): nothing another connection can see, skipped', async () => {
    expect(statuses(await check('sqlite::memory:'))).toEqual({ database: 'skip' });
  });

  it('MariaDB, migrated: ok; a wrong password fails and is never shown', async () => {
    const url = await createDatabase(inject('mariadbUrl'), 'preflight');
    await (await migrated(url)).destroy();
    const found = await check(url);
    expect(statuses(found)).toEqual({ database: 'ok', 'database.migrations': 'ok' });
    expect(found.database!.summary.en).toMatch(/MariaDB|MySQL/);
    const wrong = url.replace('wxauth:wxauth@', 'wxauth:notThePassw0rd@');
    const refused = await check(wrong);
    expect(refused.database!.status).toBe('fail');
    expect(JSON.stringify([found, refused])).not.toMatch(/notThePassw0rd|wxauth:wxauth/);
  });

  it('MySQL unreachable: fail, naming the reason', async () => {
    const found = await check('mysql://u:p@127.0.0.1:1/wxauth');
    expect(found.database).toMatchObject({ status: 'fail' });
    expect(found.database!.summary.en).toContain('ECONNREFUSED');
  });
});
