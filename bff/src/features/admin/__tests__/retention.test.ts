import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { newMysqlDatabase } from '../../../__tests__/harness.js';
import { connectRedis, createRedisKv } from '../../../adapters/kv/redis.js';
import { readAudit, writeAudit } from '../../../adapters/store/audit.js';
import { migrate, openDatabase } from '../../../adapters/store/db.js';
import { createAuditRetention } from '../retention.js';

const DAY = 24 * 3600_000;

describe('AUDIT_RETENTION_DAYS', () => {
  it('two instances on MariaDB and Redis: one prunes what is older than the retention, the other skips', async () => {
    const db = openDatabase(await newMysqlDatabase());
    await migrate(db);
    const prefix = `test${randomBytes(6).toString('hex')}:`;
    const silent = pino({ level: 'silent' });
    const kvs = await Promise.all(
      [1, 2].map(async () => createRedisKv(await connectRedis(inject('redisUrl'), silent), prefix)),
    );
    const t = Date.parse('2026-12-01T00:00:00Z');
    for (const age of [400, 366, 364, 1])
      await writeAudit(db, t - age * DAY, { kind: 'system' }, [
        { action: 'revoked', customerId: `c-${age}`, details: { reason: 'test' } },
      ]);
    const instances = kvs.map((kv) =>
      createAuditRetention({ db, kv, log: silent, retentionMs: 365 * DAY, now: () => t }),
    );
    const passes = await Promise.all(instances.map((i) => i.runOnce()));
    expect(passes.sort()).toEqual([2, null]);
    expect((await readAudit(db)).map((r) => r.customerId)).toEqual(['c-1', 'c-364']);
    // Within the same period, neither runs again.
    expect(await Promise.all(instances.map((i) => i.runOnce()))).toEqual([null, null]);
    await Promise.all(kvs.map((kv) => kv.close()));
    await db.destroy();
  });
});
