import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What the host system hears of (EVENTS_WEBHOOK_URL). */
export const EVENT_TYPES = [
  'wechat.bound',
  'wechat.unbound',
  'wechat.revoked',
  'profile.updated',
  'wechat.unsubscribed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The body delivered: the id is unique, so a receiver that sees it twice (at least once delivery) drops it. */
export interface HostEvent {
  id: string;
  type: EventType;
  /** ISO 8601, UTC. */
  createdAt: string;
  data: Record<string, unknown>;
}

/** `evt_` and 24 random hex digits (96 bits): unique without coordination between instances. */
export const newEventId = () => `evt_${randomBytes(12).toString('hex')}`;

/**
 * Writes events to the outbox inside the caller's transaction, so they exist exactly when the change
 * they tell of was committed. Delivery is the outbox worker's (events/outbox.ts), later.
 */
export async function enqueueEvents(
  trx: Kysely<Database>,
  now: number,
  events: Array<{ type: EventType; data: Record<string, unknown> }>,
): Promise<HostEvent[]> {
  if (!events.length) return [];
  const bodies = events.map((e) => ({
    id: newEventId(),
    type: e.type,
    createdAt: new Date(now).toISOString(),
    data: e.data,
  }));
  await trx
    .insertInto('events_outbox')
    .values(
      bodies.map((b) => ({
        id: b.id,
        type: b.type,
        payload: JSON.stringify(b),
        created_at: now,
        next_attempt_at: now,
      })),
    )
    .execute();
  return bodies;
}
