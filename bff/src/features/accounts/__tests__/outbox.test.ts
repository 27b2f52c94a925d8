import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../../../scripts/host-stand-in.mjs';
import { newMysqlDatabase } from '../../../__tests__/harness.js';
import { createHostClient } from '../../../adapters/host/client.js';
import { createMetrics, type Metrics } from '../../../platform/metrics.js';
import { migrate, openDatabase } from '../../../adapters/store/db.js';
import { enqueueEvents } from '../../../adapters/store/outbox.js';
import type { Database } from '../../../adapters/store/schema.js';
import { countOutbox, createOutboxWorker, EVENT_ID_HEADER, type OutboxSettings } from '../outbox.js';

const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';
const PHONE = '13800138000';
const HOUR = 3_600_000;

const engines: [string, () => Promise<string>][] = [
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-outbox-')), 'wxauth.db')}`],
  ['MariaDB', newMysqlDatabase],
];

const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(engines)('the events outbox on %s', (engine, databaseUrl) => {
  let url: string;
  let db: Kysely<Database>;
  let host: HostStandIn;
  let clock = Date.parse('2026-11-22T08:00:00Z');
  const now = () => clock;
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  /** What went over the wire: each request's body and event id header, and how many of one id were under way at once. */
  const sent: Array<{ id: string | null; body: string; by: string }> = [];
  const underWay = new Map<string, number>();
  let overlaps = 0;
  const dbs: Kysely<Database>[] = [];

  const clientFor = (by: string) =>
    createHostClient({
      secret: SECRET,
      timeoutMs: 2000,
      retryDelayMs: 5,
      fetch: async (input, init) => {
        const id = new Headers(init?.headers).get(EVENT_ID_HEADER);
        sent.push({ id, body: String(init?.body), by });
        const n = (underWay.get(id!) ?? 0) + 1;
        underWay.set(id!, n);
        if (n > 1) overlaps++;
        try {
          return await fetch(input, init);
        } finally {
          underWay.set(id!, underWay.get(id!)! - 1);
        }
      },
    });

  const worker = (
    settings: Partial<OutboxSettings> = {},
    options: { db?: Kysely<Database>; by?: string; metrics?: Metrics } = {},
  ) =>
    createOutboxWorker({
      metrics: options.metrics,
      db: options.db ?? db,
      url: host.eventsUrl,
      client: clientFor(options.by ?? 'a'),
      log,
      now,
      random: () => 0.5,
      settings,
    });

  const enqueue = (n: number, at = clock) =>
    enqueueEvents(
      db,
      at,
      Array.from({ length: n }, (_, i) => ({
        type: 'wechat.bound' as const,
        data: { customerId: `c${i}`, appid: 'wxa', openid: `o${i}`, phone: PHONE, nickname: '微信用户🐼' },
      })),
    );
  const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
  const rows = () => db.selectFrom('events_outbox').selectAll().orderBy('created_at').orderBy('id').execute();

  beforeAll(async () => {
    url = await databaseUrl();
    db = openDatabase(url);
    await migrate(db);
    host = await startHostStandIn({ secret: SECRET });
  });
  afterAll(async () => {
    await host.close();
    await Promise.all([db, ...dbs].map((d) => d.destroy()));
  });
  beforeEach(async () => {
    await db.deleteFrom('events_outbox').execute();
    host.state.events.clear();
    host.state.deliveries = 0;
    host.state.delayMs = 0;
    host.state.failures.clear();
    sent.length = 0;
    logs.length = 0;
    overlaps = 0;
  });
  afterEach(() => {
    // Payloads hold phones: no log line may.
    expect(logs.join('\n')).not.toContain(PHONE);
  });

  it('delivers each due event once: its stored payload byte for byte, signed, with its id in a header', async () => {
    const written = await enqueue(3);
    clock += 1;
    expect(await worker().runOnce()).toBe(3);
    expect(host.state.refused).toBe(0);
    expect(host.state.deliveries).toBe(3);
    expect(byId(host.events())).toEqual(byId(written));
    const stored = new Map(
      (await db.selectFrom('events_outbox').select(['id', 'payload']).execute()).map((r) => [r.id, r.payload]),
    );
    expect(sent.map((s) => s.body)).toEqual(sent.map((s) => stored.get(s.id!)));
    expect(new Set(sent.map((s) => s.id))).toEqual(new Set(written.map((e) => e.id)));
    for (const row of await rows())
      expect(row).toMatchObject({ attempts: 1, delivered_at: clock, next_attempt_at: null, failed_at: null });
    expect(await worker().runOnce()).toBe(0);
    expect(await countOutbox(db)).toEqual({ pending: 0, failed: 0, oldestPendingAt: null });
  });

  it('delivers in order: the earliest due first, then the oldest', async () => {
    const [late] = await enqueue(1, clock + 10);
    const [early] = await enqueue(1, clock);
    const [due] = await enqueue(1, clock - 50);
    await db
      .updateTable('events_outbox')
      .set({ next_attempt_at: clock - 100 })
      .where('id', '=', early!.id)
      .execute();
    clock += 10;
    await worker().runOnce();
    expect(sent.map((s) => s.id)).toEqual([early!.id, due!.id, late!.id]);
  });

  it('receiver down for a while: events queue, and all arrive once it is back', async () => {
    await host.stop();
    const w = createOutboxWorker({
      db,
      url: host.eventsUrl,
      client: clientFor('a'),
      log,
      settings: { pollMs: 20, baseDelayMs: 20, maxDelayMs: 100 },
    });
    w.start();
    try {
      await enqueueEvents(db, Date.now(), [
        { type: 'wechat.bound', data: { customerId: '1', phone: PHONE } },
        { type: 'wechat.unbound', data: { customerId: '1', reason: 'user' } },
        { type: 'profile.updated', data: { customerId: '1', nickname: 'n' } },
        { type: 'wechat.revoked', data: { customerId: '1', identities: [] } },
      ]);
      w.kick();
      await until('three attempts each', async () => (await rows()).every((r) => r.attempts >= 3));
      expect(await countOutbox(db)).toMatchObject({ pending: 4, failed: 0 });
      expect((await rows())[0]!.last_error).toBe('connection refused');
      await host.start();
      await until('all four events', () => host.events().length === 4);
    } finally {
      await w.stop();
    }
    expect(host.state.deliveries).toBe(4);
    // Retries reorder them: a receiver goes by createdAt, not by arrival.
    expect(
      host
        .events()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['profile.updated', 'wechat.bound', 'wechat.revoked', 'wechat.unbound']);
    expect(await countOutbox(db)).toEqual({ pending: 0, failed: 0, oldestPendingAt: null });
    expect(logs.join('\n')).toContain('event not delivered; will retry');
  });

  it('a receiver answering 500 is tried again: 1 s later, then 2 s, then it is delivered', async () => {
    host.failNext('/wxauth/events', 2);
    const [event] = await enqueue(1);
    const w = worker();
    const start = clock;
    expect(await w.runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ attempts: 1, next_attempt_at: start + 1000, last_error: 'HTTP 500' });
    clock += 999;
    expect(await w.runOnce()).toBe(0);
    clock += 1;
    expect(await w.runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ attempts: 2, next_attempt_at: clock + 2000, delivered_at: null });
    clock += 2000;
    expect(await w.runOnce()).toBe(1);
    expect((await rows())[0]).toMatchObject({ attempts: 3, delivered_at: clock, next_attempt_at: null });
    expect(host.state.deliveries).toBe(1);
    expect(host.events()).toEqual([event]);
    const warned = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'event not delivered; will retry');
    expect(warned[0]).toMatchObject({ event: event!.id, type: 'wechat.bound', reason: 'HTTP 500' });
  });

  it('the backoff doubles up to an hour apart, with jitter', async () => {
    await host.stop();
    try {
      await enqueue(1);
      const waits: number[] = [];
      let r = 0;
      const w = createOutboxWorker({
        db,
        url: host.eventsUrl,
        client: clientFor('a'),
        log,
        now,
        random: () => (r++ % 2 ? 0 : 0.999),
      });
      for (let i = 0; i < 18; i++) {
        await w.runOnce();
        const next = (await rows())[0]!.next_attempt_at!;
        waits.push(next - clock);
        clock = next;
      }
      // 1 s, 2 s, 4 s, 8 s … each 25 % more or less at most.
      expect(waits.slice(0, 4)).toEqual([1250, 1500, 4998, 6000]);
      waits.forEach((w, i) => expect(w).toBeGreaterThanOrEqual(Math.min(HOUR, 750 * 2 ** i)));
      waits.forEach((w, i) => expect(w).toBeLessThanOrEqual(Math.min(HOUR, 1250 * 2 ** i)));
      expect(waits.slice(13)).toEqual([HOUR, HOUR, HOUR, HOUR, HOUR]);
    } finally {
      await host.start();
    }
  });

  it('not delivered within 24 hours: given up, kept as failed, logged and counted in /metrics', async () => {
    await host.stop();
    const metrics = createMetrics();
    metrics.countEventsWith(() => countOutbox(db));
    try {
      const [event] = await enqueue(1);
      const created = clock;
      const w = worker({}, { metrics });
      let row = (await rows())[0]!;
      while (row.next_attempt_at !== null) {
        clock = row.next_attempt_at;
        await w.runOnce();
        row = (await rows())[0]!;
      }
      expect(row).toMatchObject({
        failed_at: created + 24 * HOUR,
        delivered_at: null,
        last_error: 'connection refused',
      });
      // 1 s, 2 s … 34 min (12 tries), then hourly to the 24th hour.
      expect(row.attempts).toBe(36);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^wxauth_events_failed 1$/m);
      expect(text).toMatch(/^wxauth_events_pending 0$/m);
      expect(text).toMatch(/^wxauth_event_deliveries_total\{outcome="failed"\} 1$/m);
      const given = logs.map((l) => JSON.parse(l)).find((l) => l.level === 50);
      expect(given).toMatchObject({ event: event!.id, type: 'wechat.bound', attempts: 36 });
      // Even after it is back, a failed event stays failed.
      await host.start();
      clock += HOUR;
      expect(await w.runOnce()).toBe(0);
    } finally {
      await host.start().catch(() => {});
    }
  });

  it('counts pending events in /metrics, and how long the oldest has waited', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).toMatch(/^wxauth_events_pending 0$/m);
    metrics.countEventsWith(() => countOutbox(db));
    expect(await metrics.registry.metrics()).toMatch(/^wxauth_events_oldest_pending_age_seconds 0$/m);
    await enqueueEvents(db, Date.now() - 600_000, [{ type: 'wechat.bound', data: { customerId: '1', phone: PHONE } }]);
    await enqueue(1, Date.now());
    const metrics2 = createMetrics();
    metrics2.countEventsWith(() => countOutbox(db));
    const text = await metrics2.registry.metrics();
    expect(text).toMatch(/^wxauth_events_pending 2$/m);
    const age = Number(/^wxauth_events_oldest_pending_age_seconds (\S+)$/m.exec(text)![1]);
    expect(age).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThan(660);
  });

  it('deletes delivered events after 7 days and failed ones after 30', async () => {
    const day = 24 * HOUR;
    const [delivered, failed, pending] = await enqueue(3);
    await db
      .updateTable('events_outbox')
      .set({ next_attempt_at: null, delivered_at: clock })
      .where('id', '=', delivered!.id)
      .execute();
    await db
      .updateTable('events_outbox')
      .set({ next_attempt_at: null, failed_at: clock })
      .where('id', '=', failed!.id)
      .execute();
    await db
      .updateTable('events_outbox')
      .set({ next_attempt_at: clock + 60 * day })
      .where('id', '=', pending!.id)
      .execute();
    const w = worker();
    clock += 7 * day;
    await w.runOnce();
    expect((await rows()).length).toBe(3);
    clock += 1;
    await worker().runOnce();
    expect((await rows()).map((r) => r.id).sort()).toEqual([failed!.id, pending!.id].sort());
    clock += 23 * day;
    await worker().runOnce();
    expect((await rows()).map((r) => r.id)).toEqual([pending!.id]);
  });

  it('stop() waits for a delivery under way, then stops', async () => {
    host.state.delayMs = 200;
    await enqueue(1);
    const w = worker({ pollMs: 10 });
    w.start();
    await until('the delivery to arrive', () => host.state.inFlight > 0);
    await w.stop();
    expect(host.state.deliveries).toBe(1);
    expect((await rows())[0]).toMatchObject({ delivered_at: clock, next_attempt_at: null });
    await enqueue(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(host.state.deliveries).toBe(1);
  });

  it('stop() abandons a delivery that takes too long; with the database closed it stays pending and is delivered again', async () => {
    const own = openDatabase(url);
    host.state.delayMs = 400;
    const [event] = await enqueue(1);
    const w = worker({ pollMs: 10, stopGraceMs: 50 }, { db: own });
    w.start();
    await until('the delivery to arrive', () => host.state.inFlight > 0);
    const t = Date.now();
    await w.stop();
    expect(Date.now() - t).toBeLessThan(300);
    await own.destroy();
    await until('the receiver to have answered', () => host.state.deliveries === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await rows())[0]).toMatchObject({ delivered_at: null, next_attempt_at: clock, attempts: 0 });
    host.state.delayMs = 0;
    expect(await worker().runOnce()).toBe(1);
    expect(host.state.deliveries).toBe(2);
    expect(host.events()).toEqual([event]);
    expect(logs.join('\n')).toContain('abandoned');
  });

  it.runIf(engine === 'MariaDB')(
    'two workers on one database deliver each event exactly once, never one event by both at a time',
    async () => {
      host.state.delayMs = 15;
      const events = await enqueue(40);
      const workers = ['a', 'b'].map((by) => {
        const own = openDatabase(url);
        dbs.push(own);
        return worker({ pollMs: 5 }, { db: own, by });
      });
      for (const w of workers) w.start();
      try {
        await until('all 40 events', async () => (await countOutbox(db)).pending === 0, 20_000);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
      expect(host.state.deliveries).toBe(40);
      expect(host.events().length).toBe(40);
      expect(new Set(host.events().map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
      expect(sent.length).toBe(40);
      expect(overlaps).toBe(0);
      // They worked side by side: each delivered some.
      expect(sent.filter((s) => s.by === 'a').length).toBeGreaterThan(0);
      expect(sent.filter((s) => s.by === 'b').length).toBeGreaterThan(0);
    },
  );

  it.runIf(engine === 'MariaDB')(
    'a binding writes its event while a delivery holds its claim: the claim locks no more than its row',
    async () => {
      host.state.delayMs = 500;
      await enqueue(1);
      const w = worker({ pollMs: 10 });
      w.start();
      try {
        await until('the delivery to arrive', () => host.state.inFlight > 0);
        const t = Date.now();
        await db.transaction().execute((trx) => enqueueEvents(trx, clock + 1, [{ type: 'wechat.bound', data: {} }]));
        await db.transaction().execute((trx) => enqueueEvents(trx, clock - 1, [{ type: 'wechat.bound', data: {} }]));
        expect(Date.now() - t).toBeLessThan(300);
      } finally {
        await w.stop();
      }
    },
  );
});
