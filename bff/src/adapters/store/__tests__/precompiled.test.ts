import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMysqlDatabase } from '../../../__tests__/harness.js';
import { migrate, openDatabase, precompiled } from '../db.js';
import type { Database } from '../schema.js';

const engines: [string, () => Promise<string>][] = [
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-pre-')), 'wxauth.db')}`],
  ['MariaDB', newMysqlDatabase],
];

describe.each(engines)('a precompiled query on %s', (_engine, databaseUrl) => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = openDatabase(await databaseUrl());
    await migrate(db);
    for (const [appid, openid] of [
      ['wxa', 'o1'],
      ['wxa', 'o2'],
      ['wxb', 'o1'],
    ])
      await db
        .insertInto('wechat_identities')
        .values({ appid: appid!, openid: openid!, created_at: 1, updated_at: 1 })
        .execute();
  });
  afterAll(() => db.destroy());

  it('runs with each call’s values, a constant of the query kept as it was built', async () => {
    const find = precompiled(db, (appid: string, openid: string) =>
      db
        .selectFrom('wechat_identities')
        .select(['appid', 'openid'])
        .where('openid', '=', openid)
        .where('created_at', '=', 1)
        .where('appid', '=', appid),
    );
    expect(await find('wxa', 'o2')).toEqual([{ appid: 'wxa', openid: 'o2' }]);
    expect(await find('wxb', 'o1')).toEqual([{ appid: 'wxb', openid: 'o1' }]);
    expect(await find('wxb', 'o2')).toEqual([]);
  });

  it("never reads another transaction's uncommitted writes: a read during one waits for its end", async () => {
    const find = precompiled(db, (openid: string) =>
      db.selectFrom('wechat_identities').select('openid').where('openid', '=', openid),
    );
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const wrote = new Promise<void>((r) => (inserted = r));
    const rolledBack = db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('wechat_identities')
          .values({ appid: 'wxa', openid: 'o-rolled-back', created_at: 1, updated_at: 1 })
          .execute();
        inserted();
        await held;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await wrote;
    const read = find('o-rolled-back');
    release();
    await rolledBack;
    expect(await read).toEqual([]);
    expect(await find('o1')).toEqual([{ openid: 'o1' }, { openid: 'o1' }]);
  });

  it('refuses a query that does not take every argument as a parameter', () => {
    expect(() =>
      precompiled(db, (_appid: string) => db.selectFrom('wechat_identities').select('id').where('appid', '=', 'wxa')),
    ).toThrow(/every argument must be a parameter/);
  });
});
