import { MysqlAdapter, type Kysely, type Selectable } from 'kysely';
import type { Logger } from 'pino';
import { createHostClient, HostUnreachable, type HostClient } from '../../adapters/host/client.js';
import type { AccountsConfig } from '../../platform/config.js';
import type { Database, EventsOutboxTable } from '../../adapters/store/schema.js';

/** The header naming the event, so a receiver can drop one it has seen before reading the body. */
export const EVENT_ID_HEADER = 'x-wxauth-event-id';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/** How long a receiver has to answer one event (GitHub's webhooks allow 10 s). */
export const EVENT_TIMEOUT_MS = 10 * SECOND;

/** How the outbox is delivered: the defaults are the (1 s, 2 s, 4 s … 1 h apart, for 24 hours). */
export interface OutboxSettings {
  /** Between two looks at the table when nothing was due (a kick looks at once). */
  pollMs: number;
  /** Rows delivered in one pass before the next pass is scheduled (immediately, when there may be more). */
  batch: number;
  /** The wait after the first failure; doubled after each next one, up to `maxDelayMs`; ±25 % jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An event not delivered this long after it was written is given up: failed, kept, counted. */
  giveUpAfterMs: number;
  /** Delivered rows are deleted after this; failed ones after `keepFailedMs` (the operator may want them). */
  keepDeliveredMs: number;
  keepFailedMs: number;
  /** How long stop() waits for a delivery under way before abandoning it (it is delivered again later). */
  stopGraceMs: number;
}

export const OUTBOX_DEFAULTS: OutboxSettings = {
  pollMs: SECOND,
  batch: 50,
  baseDelayMs: SECOND,
  maxDelayMs: HOUR,
  giveUpAfterMs: DAY,
  keepDeliveredMs: 7 * DAY,
  keepFailedMs: 30 * DAY,
  stopGraceMs: 5 * SECOND,
};

type Row = Selectable<EventsOutboxTable>;
type Outcome = { ok: true } | { ok: false; error: string };

export interface OutboxWorker {
  /** Delivers what is due now, and keeps looking every `pollMs`. */
  start(): void;
  /** No new delivery starts; one under way is waited for (up to `stopGraceMs`), else abandoned. */
  stop(): Promise<void>;
  /** Something was just written: look soon rather than at the next poll. */
  kick(): void;
  /** One pass now (tests, with their own clock): the number of events attempted. */
  runOnce(): Promise<number>;
}

/**
 * Delivers the events outbox to EVENTS_WEBHOOK_URL, at least once: each due row (next_attempt_at ≤ now,
 * oldest first) is POSTed with its stored payload byte for byte, signed, with `X-Wxauth-Event-Id`. A 2xx
 * marks it delivered; anything else is tried again later with exponential backoff, until 24 hours after
 * it was written, then it is marked failed. Only ids, types, statuses and reasons are logged: payloads
 * hold phones.
 *
 * Several instances on MySQL/MariaDB: a row is claimed with `SELECT … FOR UPDATE SKIP LOCKED` in a
 * transaction held while it is delivered, so no two instances deliver one event at a time, and the lock
 * of an instance that dies mid-delivery goes with its connection (the event is delivered again). SQLite
 * is one process: one loop delivers, and never holds a transaction over the network (Kysely's SQLite
 * driver runs every query on one connection: a held transaction would stall every request).
 */
export function createOutboxWorker(deps: {
  db: Kysely<Database>;
  url: string;
  client: Pick<HostClient, 'postRaw'>;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  now?: () => number;
  metrics?: { eventDelivery(outcome: 'delivered' | 'retry' | 'failed'): void };
  random?: () => number;
  settings?: Partial<OutboxSettings>;
}): OutboxWorker {
  const { db, url, client, log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const s: OutboxSettings = { ...OUTBOX_DEFAULTS, ...deps.settings };
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;

  const due = (q: Kysely<Database>, t: number) =>
    q
      .selectFrom('events_outbox')
      .selectAll()
      .where('next_attempt_at', '<=', t)
      .orderBy('next_attempt_at')
      .orderBy('seq')
      .limit(1);

  async function attempt(row: Row): Promise<Outcome> {
    try {
      const answer = await client.postRaw(url, row.payload, { [EVENT_ID_HEADER]: row.id });
      return answer.status >= 200 && answer.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${answer.status}` };
    } catch (err) {
      return { ok: false, error: err instanceof HostUnreachable ? err.reason : 'request failed' };
    }
  }

  /** The wait before attempt `attempts + 1`: base · 2^(attempts − 1), capped, ±25 %. */
  const backoff = (attempts: number) =>
    Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** Math.min(attempts - 1, 40) * (0.75 + 0.5 * random()));

  /** Records an attempt's outcome; `where next_attempt_at` keeps a row another pass settled as it was. */
  async function settle(q: Kysely<Database>, row: Row, outcome: Outcome) {
    const t = now();
    const attempts = row.attempts + 1;
    const event = { event: row.id, type: row.type, attempts };
    const update = q
      .updateTable('events_outbox')
      .where('id', '=', row.id)
      .where('next_attempt_at', '=', row.next_attempt_at!);
    if (outcome.ok) {
      await update.set({ attempts, delivered_at: t, next_attempt_at: null, last_error: null }).execute();
      metrics?.eventDelivery('delivered');
      log.debug(event, 'event delivered');
      return;
    }
    const last_error = outcome.error.slice(0, 200);
    const deadline = row.created_at + s.giveUpAfterMs;
    if (t >= deadline) {
      await update.set({ attempts, failed_at: t, next_attempt_at: null, last_error }).execute();
      metrics?.eventDelivery('failed');
      log.error({ ...event, reason: last_error }, 'event given up: not delivered within 24 hours');
      return;
    }
    // The last try is at the deadline itself, however long the backoff has grown.
    const next = Math.min(Math.round(t + backoff(attempts)), deadline);
    await update.set({ attempts, next_attempt_at: next, last_error }).execute();
    metrics?.eventDelivery('retry');
    log.warn({ ...event, reason: last_error, retryInMs: next - t }, 'event not delivered; will retry');
  }

  /** Claims, delivers and settles the first due row; false when none is due. */
  async function deliverOne(): Promise<boolean> {
    if (mysql)
      // Read committed: the claim locks the rows it returns and no gaps, so bindings that write new
      // events are never held up by a delivery under way.
      return db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const row = await due(trx, now()).forUpdate().skipLocked().executeTakeFirst();
          if (!row) return false;
          await settle(trx, row, await attempt(row));
          return true;
        });
    const row = await due(db, now()).executeTakeFirst();
    if (!row) return false;
    await settle(db, row, await attempt(row));
    return true;
  }

  let lastPurge = -Infinity;
  async function purge() {
    const t = now();
    if (t - lastPurge < HOUR) return;
    lastPurge = t;
    const delivered = await db
      .deleteFrom('events_outbox')
      .where('delivered_at', '<', t - s.keepDeliveredMs)
      .executeTakeFirst();
    const failed = await db
      .deleteFrom('events_outbox')
      .where('failed_at', '<', t - s.keepFailedMs)
      .executeTakeFirst();
    const n = Number(delivered.numDeletedRows) + Number(failed.numDeletedRows);
    if (n) log.info({ deleted: n }, 'events outbox: old delivered and failed events deleted');
  }

  let stopping = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> | null = null;
  let again = false;

  async function runOnce(): Promise<number> {
    let n = 0;
    while (!stopping && n < s.batch && (await deliverOne())) n++;
    if (!stopping) await purge();
    return n;
  }

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!started || stopping) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };

  function run() {
    if (!started || stopping) return;
    if (pass) {
      again = true;
      return;
    }
    clearTimeout(timer);
    again = false;
    pass = (async () => {
      let full = false;
      try {
        full = (await runOnce()) >= s.batch;
      } catch (err) {
        // The database, most likely: named by its code, never by a query's values.
        const e = err as { code?: string; name?: string };
        log.warn({ reason: e.code ?? e.name ?? 'error' }, 'events outbox: delivery pass failed; will retry');
      }
      pass = null;
      schedule(full || again ? 0 : s.pollMs);
    })();
  }

  return {
    start() {
      if (started) return;
      started = true;
      stopping = false;
      schedule(0);
    },
    async stop() {
      stopping = true;
      started = false;
      clearTimeout(timer);
      const under = pass;
      if (!under) return;
      let grace: NodeJS.Timeout | undefined;
      const abandoned = await Promise.race([
        under.then(() => false),
        new Promise<boolean>((r) => (grace = setTimeout(() => r(true), s.stopGraceMs))),
      ]);
      clearTimeout(grace);
      // Abandoned: its row is not marked; closing the database ends its transaction, and the event is
      // delivered again (at least once).
      if (abandoned) log.warn({}, 'events outbox: a delivery under way was abandoned at shutdown');
    },
    kick() {
      if (!started || stopping) return;
      if (pass) again = true;
      else schedule(0);
    },
    runOnce,
  };
}

/**
 * Pending (still to be delivered) and failed (given up) events, and when the oldest pending one was
 * written, for /metrics: every instance's view.
 */
export async function countOutbox(
  db: Kysely<Database>,
): Promise<{ pending: number; failed: number; oldestPendingAt: number | null }> {
  const row = await db
    .selectFrom('events_outbox')
    .select((eb) => [
      eb.fn.count('next_attempt_at').as('pending'),
      eb.fn.count('failed_at').as('failed'),
      eb.fn.min(eb.case().when('next_attempt_at', 'is not', null).then(eb.ref('created_at')).end()).as('oldest'),
    ])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest === null ? null : Number(row.oldest);
  return { pending: Number(row.pending), failed: Number(row.failed), oldestPendingAt: oldest };
}

/**
 * The host's two clients, both signed with HOST_SIGNING_SECRET: the directory's (its own timeout, the
 * customer waiting) and the events' (EVENT_TIMEOUT_MS, nobody waiting). None without a secret.
 */
export function hostClients(accounts: AccountsConfig): { directory: HostClient | null; events: HostClient | null } {
  const secret = accounts.hostSecrets[0];
  if (!secret) return { directory: null, events: null };
  const directoryTimeoutMs = accounts.directory.kind === 'webhook' ? accounts.directory.timeoutMs : 3000;
  return {
    directory: createHostClient({ secret, timeoutMs: directoryTimeoutMs }),
    events: createHostClient({ secret, timeoutMs: EVENT_TIMEOUT_MS }),
  };
}
