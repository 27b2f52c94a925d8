import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { migrate, openDatabase } from '../db.js';

// The SQLite file holds customers' phone numbers and WeChat ids: a new one, its folder and the WAL and
// shared-memory files beside it are the owner's alone, as `pnpm backup:sqlite`'s copy is.
const mode = (path: string) => statSync(path).mode & 0o777;

it('a new SQLite database is made owner-only (0600), in a new folder made owner-only (0700)', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'wxauth-mode-')), 'data');
  const file = join(dir, 'wxauth.db');
  const db = openDatabase(`sqlite:${file}`);
  try {
    await migrate(db);
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    // SQLite gives its -wal and -shm files the database file's permissions.
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  } finally {
    await db.destroy();
  }
});
