import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, startRedis } from '../../../../../scripts/servers.mjs';
import { AppError } from '../../../platform/errors.js';
import { createMemoryKv } from '../memory.js';
import { connectRedis, createRedisKv, redisReason } from '../redis.js';
import { openSqliteKv } from '../sqlite.js';
import type { Kv } from '../types.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stores: [string, () => Promise<Kv>][] = [
  ['in-process', async () => createMemoryKv()],
  ['SQLite', async () => openSqliteKv(join(mkdtempSync(join(tmpdir(), 'wxauth-kv-')), 'wxauth.db'))],
  ['Redis', async () => createRedisKv(await connectRedis(inject('redisUrl'), silent), `kvtest${process.pid}:`)],
];

/** The same contract for every store: the services cannot tell them apart. */
describe.each(stores)('the %s store', (_name, open) => {
  let kv: Kv;
  beforeAll(async () => {
    kv = await open();
  });
  afterAll(() => kv.close());
  const key = () => `test:${randomBytes(6).toString('hex')}`;

  it('keeps JSON values until their time is up', async () => {
    const k = key();
    await kv.set(k, { a: 1, s: '中文' }, 150);
    expect(await kv.get(k)).toEqual({ a: 1, s: '中文' });
    await sleep(250);
    expect(await kv.get(k)).toBeUndefined();
  });

  it('gives a value to exactly one of twenty concurrent takers', async () => {
    const k = key();
    await kv.set(k, 'once', 10_000);
    const got = await Promise.all(Array.from({ length: 20 }, () => kv.take<string>(k)));
    expect(got.filter((v) => v === 'once')).toHaveLength(1);
    expect(await kv.get(k)).toBeUndefined();
  });

  it('takes and sets in one step: of twenty concurrent takers, exactly one sets its entry', async () => {
    const k = key();
    const mark = key();
    await kv.set(k, { browser: 'b1' }, 10_000);
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        kv.takeThenSet<{ browser: string }>(k, () => ({ key: mark, value: `taker-${i}`, ttlMs: 10_000 })),
      ),
    );
    const winners = got.flatMap((v, i) => (v ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(got[winners[0]!]).toEqual({ browser: 'b1' });
    expect(await kv.get(mark)).toBe(`taker-${winners[0]}`);
    expect(await kv.get(k)).toBeUndefined();
  });

  it('sets nothing when the take finds nothing, or when told not to; the entry set lives its ttl', async () => {
    const [k, mark] = [key(), key()];
    expect(await kv.takeThenSet(k, () => ({ key: mark, value: 1, ttlMs: 10_000 }))).toBeUndefined();
    expect(await kv.get(mark)).toBeUndefined();
    await kv.set(k, 'x', 10_000);
    expect(await kv.takeThenSet(k, () => undefined)).toBe('x');
    expect(await kv.get(k)).toBeUndefined();
    expect(await kv.get(mark)).toBeUndefined();
    await kv.set(k, 'y', 10_000);
    expect(await kv.takeThenSet(k, (v) => ({ key: mark, value: { was: v }, ttlMs: 150 }))).toBe('y');
    expect(await kv.get(mark)).toEqual({ was: 'y' });
    await sleep(250);
    expect(await kv.get(mark)).toBeUndefined();
  });

  it('counts from one, and a counter lives from its first count', async () => {
    const k = key();
    expect(await Promise.all([kv.incr(k, 150), kv.incr(k, 150), kv.incr(k, 150)])).toEqual(
      expect.arrayContaining([1, 2, 3]),
    );
    await sleep(250);
    expect(await kv.incr(k, 150)).toBe(1);
  });

  it('sets a lock for exactly one of twenty, until its lease runs out', async () => {
    const k = key();
    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.setIfAbsent(k, `owner-${i}`, 150)));
    expect(won.filter(Boolean)).toHaveLength(1);
    await sleep(250);
    expect(await kv.setIfAbsent(k, 'next', 1000)).toBe(true);
  });

  it('releases a lock only for its owner (compare-and-delete)', async () => {
    const k = key();
    await kv.setIfAbsent(k, 'owner-a', 10_000);
    expect(await kv.delIfEquals(k, 'owner-b')).toBe(false);
    expect(await kv.get(k)).toBe('owner-a');
    expect(await kv.delIfEquals(k, 'owner-a')).toBe(true);
    expect(await kv.get(k)).toBeUndefined();
  });

  it('refuses the hit past a limit, and says how long to wait', async () => {
    const limit = { key: key(), max: 2, windowMs: 60_000 };
    expect(await kv.hit([limit])).toEqual({ ok: true });
    expect(await kv.hit([limit])).toEqual({ ok: true });
    const refused = await kv.hit([limit]);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(55_000);
  });

  it('counts against no limit when any of them is used up', async () => {
    const minute = { key: key(), max: 1, windowMs: 60_000 };
    const hour = { key: key(), max: 3, windowMs: 3_600_000 };
    expect(await kv.hit([minute, hour])).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) expect((await kv.hit([minute, hour])).ok).toBe(false);
    // The refused tries did not spend the hourly budget: two are left.
    expect(await kv.hit([hour])).toEqual({ ok: true });
    expect(await kv.hit([hour])).toEqual({ ok: true });
    expect((await kv.hit([hour])).ok).toBe(false);
  });

  it('lets exactly max of 30 concurrent hits through', async () => {
    const limit = { key: key(), max: 5, windowMs: 60_000 };
    const results = await Promise.all(Array.from({ length: 30 }, () => kv.hit([limit])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });
});

describe('Redis going away', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let kv: Kv;
  beforeAll(async () => {
    redis = await startRedis();
    kv = createRedisKv(await connectRedis(redis.url, silent), 'wxauth:');
  });
  afterAll(async () => {
    await kv.close();
    await redis.close();
  });

  it('fails every read and write with a 503 at once, keeps counting limits in-process, and recovers', async () => {
    await kv.set('flow', 'x', 60_000);
    await redis.stop();
    await sleep(100);
    const started = Date.now();
    for (const op of [() => kv.get('flow'), () => kv.take('flow'), () => kv.set('flow', 'y', 1000), () => kv.ping()]) {
      const err = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    }
    expect(Date.now() - started).toBeLessThan(2000);

    // The insurance limiter: the limit still holds while Redis is down.
    const limit = { key: 'down-limit', max: 3, windowMs: 60_000 };
    const results = [];
    for (let i = 0; i < 6; i++) results.push((await kv.hit([limit])).ok);
    expect(results).toEqual([true, true, true, false, false, false]);

    await redis.start();
    for (
      let i = 0;
      i < 100 &&
      (await kv.ping().then(
        () => false,
        () => true,
      ));
      i++
    )
      await sleep(50);
    await kv.set('flow', 'z', 60_000);
    expect(await kv.get('flow')).toBe('z');
  });
});

describe('connecting to Redis', () => {
  const refusal = (url: string) =>
    connectRedis(url, silent).then(
      (redis) => (redis.disconnect(), undefined),
      (e: unknown) => e as Error,
    );

  it('says why it cannot: the system\'s code, not ioredis\'s "Connection is closed."', async () => {
    const err = await refusal(`redis://127.0.0.1:${await freePort()}`);
    expect(err?.message).toBe('REDIS_URL: cannot connect to Redis (ECONNREFUSED)');
    expect(redisReason(err)).toBe('ECONNREFUSED');
  });

  it('a refused password is said so, and never shown', async () => {
    const url = inject('redisUrl').replace('//', '//nobody:notThePassw0rd@');
    const err = await refusal(url);
    expect(err?.message).toBe('REDIS_URL: cannot connect to Redis (the password is refused)');
    expect(redisReason(err)).toBe('the password is refused');
    expect(JSON.stringify({ message: err?.message, stack: err?.stack })).not.toContain('notThePassw0rd');
  });
});
