import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';
import { AppError } from '../../platform/errors.js';

/** What operators ask of the BFF itself: is this instance ready to serve? */
export function createOperations(deps: { store: Store; kv: Kv }) {
  const { store, kv } = deps;
  /** Whether the database and the state store answer. */
  async function checks(): Promise<Record<'database' | 'state', boolean>> {
    const [database, state] = await Promise.allSettled([store.ping(), kv.ping()]);
    return { database: database.status === 'fulfilled', state: state.status === 'fulfilled' };
  }
  return {
    checks,

    /** Ready when the database and the state store both answer. */
    async ready(): Promise<{ status: 'ready'; database: 'ok'; state: 'ok' }> {
      const checked = await checks();
      const [database, state] = [checked.database, checked.state].map((up) => (up ? 'ok' : 'down'));
      if (database !== 'ok' || state !== 'ok')
        throw new AppError(503, 'NOT_READY', undefined, { database, state }, true);
      return { status: 'ready', database, state };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
