import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { shown } from './net.js';
import { finding, type Finding } from './types.js';

/** `INFO <section>` as a map of its fields. */
const info = async (redis: Redis, section: string): Promise<Map<string, string>> =>
  new Map(
    (await redis.info(section))
      .split(/\r?\n/)
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as [string, string]),
  );

/**
 * REDIS_URL: reachable with its password, keeping data across a restart (AOF or RDB snapshots), and an
 * eviction policy that never drops a session or a login's state to make room: noeviction (writes fail
 * instead) or volatile-*. A short-lived connection, made as the BFF makes its own; the password is never shown.
 */
export async function checkRedis(deps: { redisUrl: string | null }): Promise<Finding[]> {
  if (!deps.redisUrl)
    return [
      finding('redis', 'skip', {
        en: 'no REDIS_URL: state is kept by this instance alone (in the SQLite file, or in memory on MySQL): run one instance',
        zh: '未设置 REDIS_URL：状态只由本实例保存（SQLite 文件中；MySQL 时在内存中），只能运行一个实例',
      }),
    ];
  const where = shown(deps.redisUrl);
  // Loaded only with a REDIS_URL, as compose.ts loads it: a BFF without Redis does without ioredis.
  const { connectRedis, redisReason } = await import('../../adapters/kv/redis.js');
  let redis: Redis | undefined;
  try {
    let server: Map<string, string>;
    try {
      // Silent: what went wrong is this check's finding, not a log line in the middle of the report.
      redis = await connectRedis(deps.redisUrl, pino({ level: 'silent' }));
      server = await info(redis, 'server');
    } catch (err) {
      const why = redisReason(err);
      const skipped = { en: `Redis at ${where} not reached`, zh: `未连上 ${where} 的 Redis` };
      return [
        finding(
          'redis',
          'fail',
          { en: `cannot use Redis at ${where}: ${why}`, zh: `无法使用 ${where} 的 Redis：${why}` },
          {
            en: 'Check REDIS_URL (host, port, password, rediss:// for TLS) and that this host may reach Redis.',
            zh: '检查 REDIS_URL（主机、端口、密码，TLS 用 rediss://），以及本机能否连到 Redis。',
          },
        ),
        finding('redis.persistence', 'skip', skipped),
        finding('redis.eviction', 'skip', skipped),
      ];
    }
    const [memory, persistence] = await Promise.all([info(redis, 'memory'), info(redis, 'persistence')]);
    const save = await redis
      .config('GET', 'save')
      .then((pair) => String((pair as string[])[1] ?? ''))
      .catch(() => undefined);
    return [
      finding('redis', 'ok', {
        en: `Redis ${server.get('redis_version') ?? ''} at ${where} answers`,
        zh: `${where} 的 Redis ${server.get('redis_version') ?? ''} 可用`,
      }),
      judgePersistence(persistence.get('aof_enabled') === '1', save),
      judgeEviction(memory.get('maxmemory_policy') ?? ''),
    ];
  } finally {
    redis?.disconnect();
  }
}

function judgePersistence(aof: boolean, save: string | undefined): Finding {
  if (aof || save)
    return finding('redis.persistence', 'ok', {
      en: `data survives a restart (${aof ? 'AOF' : `RDB snapshots: save ${save}`})`,
      zh: `重启后数据仍在（${aof ? 'AOF' : `RDB 快照：save ${save}`}）`,
    });
  const unknown = save === undefined;
  return finding(
    'redis.persistence',
    'warn',
    unknown
      ? {
          en: 'AOF is off and the RDB schedule cannot be read (CONFIG is not allowed): a restart may sign everyone out',
          zh: 'AOF 未开启，且无法读取 RDB 计划（不允许 CONFIG）：重启可能使所有人掉线',
        }
      : {
          en: 'no persistence (AOF off, no RDB snapshots): a Redis restart signs everyone out and drops logins under way',
          zh: '未开启持久化（AOF 关闭且无 RDB 快照）：Redis 重启会使所有人掉线，进行中的登录失败',
        },
    {
      en: 'Turn on appendonly yes (or RDB snapshots) in Redis, or confirm your managed Redis persists.',
      zh: '在 Redis 中开启 appendonly yes（或 RDB 快照），或确认托管 Redis 已持久化。',
    },
  );
}

function judgeEviction(policy: string): Finding {
  const data = { policy };
  if (policy === 'noeviction' || policy.startsWith('volatile-'))
    return finding(
      'redis.eviction',
      'ok',
      {
        en: `maxmemory-policy ${policy}: nothing is evicted to make room${policy === 'noeviction' ? '' : ' but keys with a TTL'}`,
        zh: `maxmemory-policy ${policy}：${policy === 'noeviction' ? '不会为腾出空间而淘汰数据' : '只淘汰设有过期时间的键'}`,
      },
      undefined,
      data,
    );
  return finding(
    'redis.eviction',
    'fail',
    {
      en: `maxmemory-policy ${policy || '(unknown)'}: when memory is full Redis evicts any key, sessions and login states among them`,
      zh: `maxmemory-policy ${policy || '（未知）'}：内存满时 Redis 会淘汰任意键，包括会话和登录状态`,
    },
    {
      en: "Set maxmemory-policy noeviction (writes fail, nothing is lost silently), or use a Redis of wxauth's own.",
      zh: '设置 maxmemory-policy noeviction（写入失败而不是悄悄丢数据），或为 wxauth 单独使用一个 Redis。',
    },
    data,
  );
}
