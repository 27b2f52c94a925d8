import { maskPhone } from '@wxauth/contract';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What the audit trail records: every binding change, every admin action, every password lockout. */
export const AUDIT_ACTIONS = [
  'bound',
  'unbound',
  'displaced',
  'revoked',
  'admin.unbind',
  'admin.revoke-sessions',
  'admin.reveal',
  'events.redeliver',
  'password.lockout',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who or what caused a change, and from where: a WeChat user's request, the host system's call, an
 * admin at `wxauth admin` (their name), or wxauth itself.
 */
export interface Actor {
  kind: 'user' | 'host' | 'admin' | 'system';
  name?: string | null;
  ip?: string | null;
  requestId?: string | null;
}

export const SYSTEM: Actor = { kind: 'system' };

export interface AuditEntry {
  id: number;
  at: number;
  action: AuditAction;
  customerId: string | null;
  actor: { kind: Actor['kind']; name: string | null };
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** An openid as support may see it: enough to tell two apart, not enough to use. */
export const maskOpenid = (openid: string): string =>
  openid.length > 12 ? `${openid.slice(0, 6)}…${openid.slice(-4)}` : `${openid.slice(0, 2)}…`;

const MOBILE = /(?<!\d)(?:\+?86)?(1[3-9]\d{9})(?!\d)/g;

/** Any mainland mobile number in a string masked: details never carry a full phone, whoever wrote them. */
function scrub(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(MOBILE, (_m, phone: string) => maskPhone(phone));
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  return value;
}

/** Writes audit rows inside the caller's transaction: they exist exactly when the change was committed. */
export async function writeAudit(
  trx: Kysely<Database>,
  at: number,
  by: Actor,
  entries: Array<{ action: AuditAction; customerId: string | null; details?: Record<string, unknown> }>,
): Promise<void> {
  if (!entries.length) return;
  await trx
    .insertInto('audit_log')
    .values(
      entries.map((e) => ({
        at,
        action: e.action,
        customer_ref: e.customerId,
        actor_kind: by.kind,
        actor: by.name?.slice(0, 100) ?? null,
        ip: by.ip?.slice(0, 64) ?? null,
        request_id: by.requestId?.slice(0, 64) ?? null,
        details: JSON.stringify(scrub(e.details ?? {})),
      })),
    )
    .execute();
}

/** The trail, newest first: of one customer, since a time, at most `limit` rows. */
export async function readAudit(
  db: Kysely<Database>,
  filter: { customerId?: string; since?: number; limit?: number } = {},
): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.customerId !== undefined) query = query.where('customer_ref', '=', filter.customerId);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: Number(r.at),
    action: r.action as AuditAction,
    customerId: r.customer_ref,
    actor: { kind: r.actor_kind as Actor['kind'], name: r.actor },
    ip: r.ip,
    requestId: r.request_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}

/** Deletes rows older than `before`, a batch at a time (no long lock on a busy table): how many went. */
export async function pruneAudit(db: Kysely<Database>, before: number, batch = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await db.selectFrom('audit_log').select('id').where('at', '<', before).limit(batch).execute();
    if (!ids.length) return total;
    const { numDeletedRows } = await db
      .deleteFrom('audit_log')
      .where(
        'id',
        'in',
        ids.map((r) => r.id),
      )
      .executeTakeFirst();
    total += Number(numDeletedRows);
    if (ids.length < batch) return total;
  }
}
