import { sql } from 'kysely';
import { migrationNames, openForInspection } from '../../adapters/store/db.js';
import { shown } from './net.js';
import { finding, type Finding } from './types.js';

const reason = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message?.split('\n')[0] ?? 'failed';
};

/**
 * DATABASE_URL reachable, and every migration of this build applied (the BFF migrates at start, so one
 * missing means it never started with this build, or failed to). Read only: preflight changes nothing.
 */
export async function checkDatabase(deps: { databaseUrl: string }): Promise<Finding[]> {
  const url = deps.databaseUrl;
  if (url === 'sqlite::memory:')
    return [
      finding('database', 'skip', {
        en: 'SQLite in memory (tests only): another connection sees nothing of it',
        zh: '内存中的 SQLite（仅用于测试）：其他连接看不到其内容',
      }),
    ];
  const where = url.startsWith('mysql:') ? shown(url) : url;
  const db = openForInspection(url);
  const notReached = finding('database.migrations', 'skip', {
    en: 'the database was not reached',
    zh: '未连上数据库',
  });
  if (!db) {
    const missing = url.replace(/^sqlite:/, '');
    return [
      finding(
        'database',
        'fail',
        { en: `no SQLite database at ${missing}`, zh: `${missing} 处没有 SQLite 数据库` },
        {
          en: 'Start the BFF once with this DATABASE_URL (it makes and migrates the file), or point DATABASE_URL at the one it uses (the image keeps it in /data).',
          zh: '用此 DATABASE_URL 启动一次 BFF（它会创建并迁移该文件），或让 DATABASE_URL 指向 BFF 实际使用的文件（镜像中在 /data）。',
        },
      ),
      notReached,
    ];
  }
  try {
    let version: string;
    try {
      const query = url.startsWith('mysql:')
        ? sql<{ v: string }>`SELECT VERSION() AS v`
        : sql<{ v: string }>`SELECT sqlite_version() AS v`;
      version = (await query.execute(db)).rows[0]?.v ?? '';
    } catch (err) {
      return [
        finding(
          'database',
          'fail',
          {
            en: `cannot use the database at ${where}: ${reason(err)}`,
            zh: `无法使用 ${where} 的数据库：${reason(err)}`,
          },
          {
            en: 'Check DATABASE_URL (host, port, user, password, database) and that this host may reach the server.',
            zh: '检查 DATABASE_URL（主机、端口、用户、密码、库名），以及本机能否连到数据库服务器。',
          },
        ),
        notReached,
      ];
    }
    const product = url.startsWith('mysql:') ? (/mariadb/i.test(version) ? 'MariaDB' : 'MySQL') : 'SQLite';
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration`
      .execute(db)
      .then((r) => r.rows.map((row) => row.name))
      .catch(() => [] as string[]);
    return [
      finding('database', 'ok', {
        en: `${product} ${version} at ${where} answers`,
        zh: `${where} 的 ${product} ${version} 可用`,
      }),
      judgeMigrations(migrationNames(), applied),
    ];
  } finally {
    await db.destroy();
  }
}

function judgeMigrations(known: string[], applied: string[]): Finding {
  const missing = known.filter((m) => !applied.includes(m));
  const unknown = applied.filter((m) => !known.includes(m));
  if (missing.length)
    return finding(
      'database.migrations',
      'fail',
      {
        en: `not applied: ${missing.join(', ')} (the BFF migrates at start: it has not started with this build, or the migration failed)`,
        zh: `未执行的迁移：${missing.join(', ')}（BFF 启动时迁移：尚未用此版本启动过，或迁移失败）`,
      },
      {
        en: 'Start (or restart) the BFF with this build and read its first log lines; one instance migrates while the others wait.',
        zh: '用此版本启动（或重启）BFF 并查看最初的日志；只有一个实例执行迁移，其余等待。',
      },
    );
  if (unknown.length)
    return finding(
      'database.migrations',
      'warn',
      {
        en: `the database has migrations this build does not know: ${unknown.join(', ')} (an older build on a newer database)`,
        zh: `数据库中有此版本不认识的迁移：${unknown.join(', ')}（旧版本连到了新数据库）`,
      },
      { en: 'Deploy the build that made them.', zh: '部署执行这些迁移的版本。' },
    );
  return finding('database.migrations', 'ok', {
    en: `every migration applied: ${known.join(', ')}`,
    zh: `迁移均已执行：${known.join(', ')}`,
  });
}
