import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { newMysqlDatabase } from '../../../__tests__/harness.js';
import { migrate, migrationNames, openDatabase, openForInspection } from '../db.js';

// What preflight looks at a database with: the migrations this build has, and a connection that
// writes nothing (for SQLite, not even the file when there is none).

const recorded = async (url: string) => {
  const db = openDatabase(url);
  await migrate(db);
  const names = (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)).rows;
  await db.destroy();
  return names.map((r) => r.name);
};

describe('inspecting a database', () => {
  it("migrationNames: the migrations migrate() records, in order (from the build's list, not the disk)", async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-inspect-')), 'wxauth.db')}`;
    expect(migrationNames()).toEqual(await recorded(url));
    expect(migrationNames()[0]).toBe('001_initial');
  });

  it('SQLite: read-only, and no file is made where there is none', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'wxauth-inspect-'));
    expect(openForInspection(`sqlite:${join(folder, 'missing', 'wxauth.db')}`)).toBeNull();
    expect(existsSync(join(folder, 'missing'))).toBe(false);

    const url = `sqlite:${join(folder, 'wxauth.db')}`;
    await recorded(url);
    const db = openForInspection(url)!;
    expect((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM kysely_migration`.execute(db)).rows[0]!.n).toBe(
      migrationNames().length,
    );
    await expect(sql`DELETE FROM kysely_migration`.execute(db)).rejects.toThrow(/readonly/i);
    await db.destroy();
  });

  it('MariaDB: one connection that reads', async () => {
    const url = await newMysqlDatabase();
    await recorded(url);
    const db = openForInspection(url)!;
    const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db);
    expect(rows.rows.map((r) => r.name).sort()).toEqual(migrationNames());
    await db.destroy();
  });
});
