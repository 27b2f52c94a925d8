// Seeds a wxauth database with customers, each bound to a WeChat identity of the simulator's user
// `bench<i>` under the demo Official Account (its openid and unionid as the simulator gives them), in
// batched inserts: the data of `pnpm bench:million`. The schema is the BFF's own, migrated by the built
// BFF first (`pnpm build`).
//   node scripts/bench/seed-customers.mjs --database sqlite:/tmp/x/wxauth.db --count 1000000
//   node scripts/bench/seed-customers.mjs --database mysql://u:p@127.0.0.1:3306/db --count 1000000
// Each row i gets customer id i + 1 and phone 139 followed by i in 8 digits; `rows` seeds only those i.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export const APPID = 'wx00000000000000de';
const OPEN_PLATFORM = 'demo-open-platform';
const require = createRequire(new URL('../../bff/package.json', import.meta.url));

/** The simulator's ids (wechat-sim/src/ids.ts, its default key): the same user, the same openid. */
const stableId = (...parts) =>
  'o' + createHmac('sha256', 'wechat-sim').update(parts.join('\u0000')).digest('base64url').slice(0, 27);
export const userOf = (i) => `bench${i}`;
/** Row i's openid and unionid. */
export const idsOf = (i) => ({
  openid: stableId('openid', APPID, userOf(i)),
  unionid: stableId('unionid', OPEN_PLATFORM, userOf(i)),
});

/** Row i's customer and identity, as the BFF would have written them after a login and a binding. */
function rowOf(i, t) {
  const user = userOf(i);
  return {
    customer: [i + 1, String(i + 1), `139${String(i).padStart(8, '0')}`, null, 'local', t, t],
    identity: [
      i + 1,
      APPID,
      stableId('openid', APPID, user),
      stableId('unionid', OPEN_PLATFORM, user),
      i + 1,
      `微信用户${user}`,
      `https://thirdwx.qlogo.cn/mmopen/vi_32/${stableId('avatar', user).slice(1)}/132`,
      t,
      t,
      t,
    ],
  };
}
const CUSTOMER_COLUMNS = 'id, ref, phone, display_name, origin, created_at, updated_at';
const IDENTITY_COLUMNS =
  'id, appid, openid, unionid, customer_id, nickname, avatar_url, created_at, updated_at, bound_at';

/** Migrates `url` with the built BFF, then inserts the rows; how long the inserts took. */
export async function seed(url, { count, rows } = {}) {
  const { openDatabase, migrate } = await import(
    pathToFileURL(new URL('../../bff/dist/adapters/store/db.js', import.meta.url).pathname).href
  );
  const db = openDatabase(url, 1);
  await migrate(db);
  await db.destroy();
  const which = rows ?? Array.from({ length: count }, (_, i) => i);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (url.startsWith('mysql:')) await seedMysql(url, which);
  else seedSqlite(url.replace(/^sqlite:/, ''), which);
  const cpu = process.cpuUsage(cpu0);
  // The wall time depends on what else the machine runs; this process's CPU time less so (for SQLite,
  // all of the work; for MariaDB, the server's share is not in it).
  return { rows: which.length, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function seedSqlite(path, which) {
  const SQLite = require('better-sqlite3');
  const sqlite = new SQLite(path);
  // Only while seeding: nothing to lose if the machine stops, the file is made again.
  sqlite.pragma('synchronous = OFF');
  const BATCH = 500;
  const insert = (table, columns, width, n) =>
    sqlite.prepare(
      `insert into ${table} (${columns}) values ${Array.from({ length: n }, () => `(${Array(width).fill('?').join(',')})`).join(',')}`,
    );
  const full = {
    c: insert('customers', CUSTOMER_COLUMNS, 7, BATCH),
    i: insert('wechat_identities', IDENTITY_COLUMNS, 10, BATCH),
  };
  const t = Date.now();
  const batch = sqlite.transaction((slice) => {
    const rows = slice.map((i) => rowOf(i, t));
    const c = slice.length === BATCH ? full.c : insert('customers', CUSTOMER_COLUMNS, 7, slice.length);
    const id = slice.length === BATCH ? full.i : insert('wechat_identities', IDENTITY_COLUMNS, 10, slice.length);
    c.run(rows.flatMap((r) => r.customer));
    id.run(rows.flatMap((r) => r.identity));
  });
  // 100 batches a transaction: 50,000 rows of each table per commit.
  const many = sqlite.transaction((slices) => slices.forEach((s) => batch(s)));
  for (let at = 0; at < which.length; at += BATCH * 100) {
    const slices = [];
    for (let s = at; s < Math.min(at + BATCH * 100, which.length); s += BATCH) slices.push(which.slice(s, s + BATCH));
    many(slices);
  }
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.exec('analyze');
  sqlite.close();
}

async function seedMysql(url, which) {
  const mysql = require('mysql2/promise');
  const conn = await mysql.createConnection({ uri: url, charset: 'utf8mb4' });
  try {
    // Only this connection, only while seeding: the rows are known to be unique and consistent.
    await conn.query('set unique_checks = 0, foreign_key_checks = 0');
    const BATCH = 5000;
    const t = Date.now();
    for (let at = 0; at < which.length; at += BATCH) {
      const rows = which.slice(at, at + BATCH).map((i) => rowOf(i, t));
      await conn.beginTransaction();
      await conn.query(`insert into customers (${CUSTOMER_COLUMNS}) values ?`, [rows.map((r) => r.customer)]);
      await conn.query(`insert into wechat_identities (${IDENTITY_COLUMNS}) values ?`, [rows.map((r) => r.identity)]);
      await conn.commit();
    }
    await conn.query('set unique_checks = 1, foreign_key_checks = 1');
    await conn.query('analyze table customers, wechat_identities');
  } finally {
    await conn.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { database: { type: 'string' }, count: { type: 'string', default: '1000000' } },
  });
  if (!values.database) throw new Error('--database sqlite:<file> or mysql://… is required');
  const { rows, seconds, cpuSeconds } = await seed(values.database, { count: Number(values.count) });
  console.log(`${rows} customers and identities in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s of CPU here)`);
}
