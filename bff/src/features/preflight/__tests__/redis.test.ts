import { describe, expect, it } from 'vitest';
import { freePort } from '../../../../../scripts/servers.mjs';
import { checkRedis } from '../redis.js';
import { startRedis } from './edges.js';

const check = async (redisUrl: string | null) =>
  Object.fromEntries((await checkRedis({ redisUrl })).map((f) => [f.id, f]));
const statuses = (found: Awaited<ReturnType<typeof check>>) =>
  Object.fromEntries(Object.entries(found).map(([id, f]) => [id, f.status]));

describe('Redis', () => {
  it('persistent (AOF) and noeviction: ok', async () => {
    const found = await check(await startRedis(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(statuses(found)).toEqual({ redis: 'ok', 'redis.persistence': 'ok', 'redis.eviction': 'ok' });
  });

  it('RDB snapshots (the default save schedule) and volatile-lru: ok', async () => {
    const found = await check(await startRedis(['--maxmemory-policy', 'volatile-lru']));
    expect(statuses(found)).toEqual({ redis: 'ok', 'redis.persistence': 'ok', 'redis.eviction': 'ok' });
  });

  it('allkeys-lru: fail, sessions and login states may be evicted', async () => {
    const found = await check(await startRedis(['--maxmemory-policy', 'allkeys-lru']));
    expect(found['redis.eviction']).toMatchObject({ status: 'fail', data: { policy: 'allkeys-lru' } });
    expect(found['redis.eviction']!.fix!.en).toContain('noeviction');
  });

  it('no persistence at all: a warning, a restart signs everyone out', async () => {
    const found = await check(await startRedis(['--save', '', '--appendonly', 'no']));
    expect(found['redis.persistence']!.status).toBe('warn');
  });

  it('CONFIG renamed away (a managed Redis): the policy still comes from INFO; persistence unknown is a warning', async () => {
    const found = await check(await startRedis(['--save', '', '--rename-command', 'CONFIG', '""']));
    expect(statuses(found)).toEqual({ redis: 'ok', 'redis.persistence': 'warn', 'redis.eviction': 'ok' });
  });

  it('a password: used, never shown; a wrong one fails, also unshown', async () => {
    const url = await startRedis(['--requirepass', 'redisPassw0rdForTests']);
    const good = await check(url.replace('//', '//:redisPassw0rdForTests@'));
    expect(good.redis!.status).toBe('ok');
    const bad = await check(url.replace('//', '//:wrongPassw0rdForTests@'));
    expect(bad.redis!.status).toBe('fail');
    expect(JSON.stringify([good, bad])).not.toMatch(/Passw0rd/);
  });

  it('unreachable: fail, the other checks skipped', async () => {
    const found = await check(`redis://127.0.0.1:${await freePort()}`);
    expect(statuses(found)).toEqual({ redis: 'fail', 'redis.persistence': 'skip', 'redis.eviction': 'skip' });
    expect(found.redis!.summary.en).toContain('ECONNREFUSED');
  });

  it('no REDIS_URL: state in-process, one instance: skipped', async () => {
    expect(statuses(await check(null))).toEqual({ redis: 'skip' });
  });
});
