import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';
import { AppError } from '../../platform/errors.js';

/** What operators ask of the BFF itself: is this instance ready to serve? */
export function createOperations(deps: { store: Store; kv: Kv }) {
  const { store, kv } = deps;
  return {
    /** Ready when the database and the state store both answer. */
    async ready(): Promise<{ status: 'ready'; database: 'ok'; state: 'ok' }> {
      const checks = await Promise.allSettled([store.ping(), kv.ping()]);
      const [database, state] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
      if (database !== 'ok' || state !== 'ok')
        throw new AppError(503, 'NOT_READY', undefined, { database, state }, true);
      return { status: 'ready', database, state };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
