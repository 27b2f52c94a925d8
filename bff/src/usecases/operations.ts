import { AppError } from '../errors.js';
import type { Kv } from '../kv/types.js';
import type { Sessions } from '../services/sessions.js';
import type { Store } from '../store/store.js';

/** What operators and the host system ask of the BFF itself: readiness, and revoking a customer. */
export function createOperations(deps: { store: Store; kv: Kv; sessions: Sessions }) {
  const { store, kv, sessions } = deps;
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
    async revoke(customerId: number): Promise<void> {
      await sessions.voidIdentities(await store.boundIdentities({ customerId }));
      if (!(await store.revokeCustomer(customerId))) throw new AppError(404, 'CUSTOMER_NOT_FOUND');
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
