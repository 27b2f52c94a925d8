import type { HostEvent } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { Sessions } from '../session/index.js';
import type { Store } from '../../adapters/store/store.js';

/** What operators and the host system ask of the BFF itself: readiness, and revoking a customer. */
/** How long a host event's id is remembered: longer than a signature stays valid (5 minutes). */
const EVENT_MEMORY_MS = 15 * 60_000;

export function createOperations(deps: { store: Store; kv: Kv; sessions: Sessions }) {
  const { store, kv, sessions } = deps;
  const revoke = async (customerId: string, reason?: string) => {
    await sessions.voidIdentities(await store.boundIdentities({ ref: customerId }));
    if (!(await store.revokeCustomer(customerId, reason))) throw new AppError(404, 'CUSTOMER_NOT_FOUND');
  };
  return {
    /** Ready when the database and the state store both answer. */
    async ready(): Promise<{ status: 'ready'; database: 'ok'; state: 'ok' }> {
      const checks = await Promise.allSettled([store.ping(), kv.ping()]);
      const [database, state] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
      if (database !== 'ok' || state !== 'ok')
        throw new AppError(503, 'NOT_READY', undefined, { database, state }, true);
      return { status: 'ready', database, state };
    },

    /** The host system drops a customer's WeChat bindings and sessions (after a password change, say). */
    revoke: (customerId: string) => revoke(customerId),

    /**
     * A signed event from the host. Each id is acted on once: a replay within the signature's life is
     * answered as a duplicate. A customer wxauth has never bound is no error (nothing to drop).
     */
    async receive(event: {
      id: string;
      type: HostEvent['type'];
      customerId: string;
    }): Promise<{ received: string; duplicate: boolean }> {
      // Marked done only once done: a retry that comes while the first try runs (or after it failed)
      // is acted on again, which a revoke allows.
      if ((await kv.get(`hostevt:${event.id}`)) !== undefined) return { received: event.id, duplicate: true };
      try {
        await revoke(event.customerId, event.type === 'customer.password_changed' ? 'password_changed' : 'revoked');
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'CUSTOMER_NOT_FOUND')) throw err;
      }
      await kv.set(`hostevt:${event.id}`, 1, EVENT_MEMORY_MS);
      return { received: event.id, duplicate: false };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
