import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../adapters/store/db.js';
import { createStore } from '../adapters/store/store.js';
import { newMysqlDatabase } from './harness.js';

/** The backups docs/guide/running.md tells an operator to take, run as written there. */

const ROOT = join(import.meta.dirname, '../../..');
const shell = promisify(execFile);

/** A database the BFF is using: migrated, one customer bound, the connection still open. */
async function liveDatabase(url: string) {
  const db = openDatabase(url);
  await migrate(db);
  const store = createStore(db, Date.now);
  const identity = await store.upsertIdentity({
    appid: 'wx0123456789abcdef',
    openid: 'o-backup',
    unionid: null,
    nickname: null,
    avatarUrl: null,
  });
  await store.bindCustomer(identity.id, { ref: null, phone: '13800138000', localPrefix: 'c', method: 'sms' });
  return store;
}

describe('pnpm backup:sqlite <dest>', () => {
  const backup = (env: Record<string, string>, ...args: string[]) =>
    spawnSync('pnpm', ['--silent', 'backup:sqlite', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it(
    'copies the live WAL database, what its WAL holds included, checked and readable by its owner only',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wxauth-backup-'));
      const store = await liveDatabase(`sqlite:${join(dir, 'wxauth.db')}`);
      try {
        const dest = join(dir, 'wxauth-backup.db');
        const run = backup({ DATABASE_URL: `sqlite:${join(dir, 'wxauth.db')}` }, dest);
        expect(run.stderr).toMatch(/→ .*wxauth-backup\.db: \d+ pages, integrity ok/);
        expect(run.status).toBe(0);
        expect(statSync(dest).mode & 0o777).toBe(0o600);
        // One file, nothing left beside it: the copy is not a WAL database with -wal and -shm to lose.
        expect(readdirSync(dir).filter((name) => name.startsWith('wxauth-backup'))).toEqual(['wxauth-backup.db']);
        const copy = new Sqlite(dest, { readonly: true });
        try {
          expect(copy.prepare('select phone from customers').all()).toEqual([{ phone: '13800138000' }]);
          expect(copy.prepare('select openid from wechat_identities').all()).toEqual([{ openid: 'o-backup' }]);
        } finally {
          copy.close();
        }
      } finally {
        await store.close();
      }
    },
  );

  it('says what to do with a MySQL DATABASE_URL, and with nothing to copy', { timeout: 120_000 }, () => {
    const mysql = backup({ DATABASE_URL: 'mysql://wxauth:pw@127.0.0.1:3306/wxauth' }, '/tmp/never.db');
    expect(mysql.status).toBe(65);
    expect(mysql.stderr).toContain('mariadb-dump');
    const usage = backup({});
    expect(usage.status).toBe(0);
    expect(usage.stdout).toMatch(/^usage: pnpm backup:sqlite <dest>/);
  });
});

describe('mariadb-dump --single-transaction', () => {
  it('dumps a live database that restores whole into an empty one', { timeout: 60_000 }, async () => {
    const source = new URL(await newMysqlDatabase());
    const store = await liveDatabase(source.href);
    const dir = mkdtempSync(join(tmpdir(), 'wxauth-dump-'));
    const client = (program: string, database: string, redirect: string) =>
      shell('sh', [
        '-c',
        `MYSQL_PWD='${decodeURIComponent(source.password)}' ${program} --host=${source.hostname} --port=${source.port} --user=${source.username} ${database} ${redirect}`,
      ]);
    try {
      const file = join(dir, 'wxauth.sql');
      // As the docs write it, with this server's address, user and database.
      await client('mariadb-dump --single-transaction --no-tablespaces', source.pathname.slice(1), `> ${file}`);
      const target = new URL(await newMysqlDatabase());
      await client('mariadb', target.pathname.slice(1), `< ${file}`);
      const restored = openDatabase(target.href);
      try {
        const rows = await restored.selectFrom('customers').select('phone').execute();
        expect(rows).toEqual([{ phone: '13800138000' }]);
      } finally {
        await restored.destroy();
      }
    } finally {
      await store.close();
    }
  });
});
