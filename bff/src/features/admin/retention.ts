import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { pruneAudit } from '../../adapters/store/audit.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { Database } from '../../adapters/store/schema.js';

const HOUR = 3600_000;
const LEASE_KEY = 'audit:prune';

export interface AuditRetention {
  /** Prunes now, then every `everyMs`, until stopped. */
  start(): void;
  stop(): void;
  /** One pass: the rows deleted, or null when another instance holds this period's lease. */
  runOnce(): Promise<number | null>;
}

/**
 * Deletes audit rows older than AUDIT_RETENTION_DAYS, once an hour, on one instance of a cluster at a
 * time: each period's pass is leased in the state store (SET NX PX, as the WeChat token's lock is), so
 * of several instances one prunes and the others skip; a lease outlives a pass that dies with its
 * instance by no more than the period. Batched deletes keep each statement short.
 */
export function createAuditRetention(deps: {
  db: Kysely<Database>;
  kv: Kv;
  log: Pick<Logger, 'info' | 'warn'>;
  retentionMs: number;
  now?: () => number;
  everyMs?: number;
}): AuditRetention {
  const now = deps.now ?? Date.now;
  const every = deps.everyMs ?? HOUR;
  let timer: NodeJS.Timeout | undefined;

  async function runOnce(): Promise<number | null> {
    if (!(await deps.kv.setIfAbsent(LEASE_KEY, now(), every))) return null;
    const deleted = await pruneAudit(deps.db, now() - deps.retentionMs);
    if (deleted) deps.log.info({ deleted }, 'audit trail: rows past AUDIT_RETENTION_DAYS deleted');
    return deleted;
  }

  const pass = () =>
    void runOnce().catch((err: { code?: string; name?: string }) =>
      deps.log.warn({ reason: err.code ?? err.name ?? 'error' }, 'audit trail: pruning failed; will retry'),
    );

  return {
    start() {
      if (timer) return;
      pass();
      timer = setInterval(pass, every);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    runOnce,
  };
}
