import { maskPhone, normalizePhone } from '@wxauth/contract';
import { maskOpenid, readAudit, writeAudit, type Actor, type AuditEntry } from '../../adapters/store/audit.js';
import type { Customer } from '../../adapters/store/store.js';
import type { Deployment } from './deployment.js';
import { iso } from './format.js';

/** What the admin command says when it cannot do what it was asked (exit code 1). */
export class AdminRefusal extends Error {}

export interface EventView {
  id: string;
  type: string;
  customerId: string | null;
  /** When the event was written (its body's createdAt). */
  createdAt: string | null;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
}

export interface CustomerView {
  customer: {
    id: string;
    origin: string;
    phone: string | null;
    displayName: string | null;
    createdAt: string | null;
  };
  bindings: Array<{
    appid: string;
    openid: string;
    unionid: string | null;
    boundAt: string | null;
    method: string | null;
    lastSignIn: string | null;
    sessionAliveUntil: string | null;
  }>;
  /** Why they may not get in, in words, the likeliest first; what support tells them. */
  findings: string[];
  audit: AuditEntry[];
  events: EventView[];
}

const LEAVING = ['unbound', 'displaced', 'revoked', 'admin.unbind', 'admin.revoke-sessions'];

/** The customer by the id the world knows, else by the phone (`13800138000` or `+8613800138000`). */
export async function findCustomer(dep: Deployment, key: string): Promise<Customer> {
  const byRef = await dep.db.selectFrom('customers').selectAll().where('ref', '=', key).executeTakeFirst();
  if (byRef) return byRef;
  const phone = normalizePhone(key);
  const byPhone =
    phone && (await dep.db.selectFrom('customers').selectAll().where('phone', '=', phone).executeTakeFirst());
  if (byPhone) return byPhone;
  throw new AdminRefusal(
    phone
      ? `no customer has the phone ${maskPhone(phone)} (nor the id ${phone})`
      : `no customer has the id ${JSON.stringify(key)} (and it is not a mainland mobile number)`,
  );
}

const eventView = (row: {
  id: string;
  type: string;
  payload: string;
  attempts: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
  failed_at: number | null;
  last_error: string | null;
}): EventView => {
  const body = JSON.parse(row.payload) as { createdAt?: string; data?: { customerId?: unknown } };
  const customerId = body.data?.customerId;
  return {
    id: row.id,
    type: row.type,
    customerId: typeof customerId === 'string' ? customerId : null,
    createdAt: body.createdAt?.replace(/\.\d{3}Z$/, 'Z') ?? null,
    state: row.failed_at !== null ? 'failed' : row.delivered_at !== null ? 'delivered' : 'pending',
    attempts: Number(row.attempts),
    lastError: row.last_error,
  };
};

/** The outbox, newest first: every event, or the given-up ones, since a time. */
export async function listEvents(
  dep: Deployment,
  p: { failed?: boolean; since?: number; limit?: number; customerId?: string },
): Promise<EventView[]> {
  let query = dep.db.selectFrom('events_outbox').selectAll();
  if (p.failed) query = query.where('failed_at', 'is not', null);
  if (p.since !== undefined) query = query.where('created_at', '>=', p.since);
  // Events name their customer in the JSON body: a coarse match here, the exact one below.
  if (p.customerId !== undefined)
    query = query.where('payload', 'like', `%"customerId":${JSON.stringify(p.customerId)}%`);
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(p.limit ?? 50)
    .execute();
  return rows.map(eventView).filter((e) => p.customerId === undefined || e.customerId === p.customerId);
}

/** Who a customer is, their bindings and sessions, what happened to them lately, and why they may not get in. */
export async function showCustomer(
  dep: Deployment,
  key: string,
  p: { reveal: boolean; by: Actor },
): Promise<CustomerView> {
  const customer = await findCustomer(dep, key);
  const identities = await dep.db
    .selectFrom('wechat_identities')
    .selectAll()
    .where('customer_id', '=', customer.id)
    .orderBy('bound_at', 'desc')
    .execute();
  const audit = await readAudit(dep.db, { customerId: customer.ref, limit: 200 });
  const events = await listEvents(dep, { customerId: customer.ref, limit: 10 });

  const bindings = await Promise.all(
    identities.map(async (i) => {
      const openid = maskOpenid(i.openid);
      const bound = audit.find(
        (a) => a.action === 'bound' && a.details.appid === i.appid && a.details.openid === openid,
      );
      const session = await dep.sessions.lastSession(i);
      return {
        appid: i.appid,
        openid,
        unionid: i.unionid,
        boundAt: iso(i.bound_at),
        method: typeof bound?.details.method === 'string' ? bound.details.method : null,
        lastSignIn: iso(session?.createdAt),
        sessionAliveUntil: iso(session?.aliveUntil),
      };
    }),
  );

  const findings: string[] = [];
  const left = audit.find((a) => LEAVING.includes(a.action));
  const by = (a: AuditEntry) => `${a.actor.kind}${a.actor.name ? ` ${a.actor.name}` : ''}`;
  const why = (a: AuditEntry) => (typeof a.details.reason === 'string' ? ` (reason: ${a.details.reason})` : '');
  if (!identities.length) {
    findings.push(
      'no WeChat identity is bound: their next WeChat login asks them to bind (SMS code or password) again',
    );
    if (left) findings.push(`last binding change: ${left.action} at ${iso(left.at)} by ${by(left)}${why(left)}`);
  } else if (left?.action === 'admin.revoke-sessions' || left?.action === 'revoked') {
    findings.push(
      `sessions ended at ${iso(left.at)} by ${by(left)}${why(left)}: the next WeChat login signs them in again`,
    );
  }
  const failed = events.filter((e) => e.state === 'failed');
  if (failed.length)
    findings.push(
      `${failed.length} event(s) about them were never delivered to your system: wxauth admin events redeliver ${failed[0]!.id}`,
    );
  if (!customer.phone && customer.origin === 'host' && identities.length)
    findings.push('bound by account and password: no phone was proven here');
  if (identities.length && !findings.length)
    findings.push('bound, nothing in the way here: if WeChat itself refuses them, run pnpm preflight');

  if (p.reveal && customer.phone)
    await dep.store.audit({ action: 'admin.reveal', customerId: customer.ref, details: { field: 'phone' } }, p.by);
  return {
    customer: {
      id: customer.ref,
      origin: customer.origin,
      phone: customer.phone && (p.reveal ? customer.phone : maskPhone(customer.phone)),
      displayName: customer.display_name,
      createdAt: iso(customer.created_at),
    },
    bindings,
    findings,
    audit: audit.slice(0, 10),
    events,
  };
}

/**
 * Failed (or delivered) events due again now: the running BFF delivers them at its next look (a second
 * or so), with their ids unchanged, so a receiver that has one drops the copy. One more attempt each: an
 * event whose first 24 hours are over fails again at once if the receiver still refuses it.
 */
export async function redeliver(
  dep: Deployment,
  p: { id?: string; failed?: boolean },
  by: Actor,
): Promise<{ redelivered: string[]; pending: string[] }> {
  if (!dep.config.accounts.eventsUrl)
    throw new AdminRefusal('EVENTS_WEBHOOK_URL is not set here: no instance delivers events');
  return dep.db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('events_outbox').select(['id', 'next_attempt_at']);
    query = p.id !== undefined ? query.where('id', '=', p.id) : query.where('failed_at', 'is not', null);
    const rows = await query.execute();
    if (p.id !== undefined && !rows.length) throw new AdminRefusal(`no event has the id ${JSON.stringify(p.id)}`);
    const pending = rows.filter((r) => r.next_attempt_at !== null).map((r) => r.id);
    const due = rows.filter((r) => r.next_attempt_at === null).map((r) => r.id);
    if (due.length) {
      const t = Date.now();
      await trx
        .updateTable('events_outbox')
        .set({ next_attempt_at: t, failed_at: null, delivered_at: null })
        .where('id', 'in', due)
        .execute();
      await writeAudit(trx, t, by, [{ action: 'events.redeliver', customerId: null, details: { events: due } }]);
    }
    return { redelivered: due, pending };
  });
}
