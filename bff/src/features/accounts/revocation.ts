import type { HostEvent } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { Sessions } from '../session/index.js';
import type { Store } from '../../adapters/store/store.js';
import type { Actor } from '../../adapters/store/audit.js';
import type { RequestOrigin } from '../../platform/http/context.js';

/** How long a host event's id is remembered: longer than a signature stays valid (5 minutes). */
const EVENT_MEMORY_MS = 15 * 60_000;

/**
 * The host ends a customer's WeChat bindings and sessions: by its operators' call, or by a signed event
 * (after a password change, say).
 */
export function createRevocation(deps: {
  store: Store;
  kv: Kv;
  sessions: Sessions;
  /** The customer's sessions elsewhere end too (the OpenID Connect provider's, with back-channel logout). */
  onRevoked?: (customerId: string) => Promise<void>;
}) {
  const { store, kv, sessions } = deps;
  const revoke = async (customerId: string, reason: string | undefined, by: Actor) => {
    await sessions.voidIdentities(await store.boundIdentities({ ref: customerId }));
    if (!(await store.revokeCustomer(customerId, reason, by))) throw new AppError(404, 'CUSTOMER_NOT_FOUND');
    await deps.onRevoked?.(customerId);
  };
  return {
    /**
     * An admin (`wxauth admin customer unbind`) drops a customer's WeChat bindings, of one app or all, as
     * a user's own unbind does: sessions void, a `wechat.unbound` event each (reason `admin`), the
     * reason in the audit trail. The identities unbound; 404 CUSTOMER_NOT_FOUND for an unknown customer.
     */
    async unbind(customerId: string, p: { appid?: string; reason: string }, by: Actor) {
      const bound = (await store.boundCustomer(customerId))?.identities ?? [];
      await sessions.voidIdentities(bound.filter((i) => p.appid === undefined || i.appid === p.appid).map((i) => i.id));
      const unbound = await store.unbindCustomer(customerId, p, by);
      if (!unbound) throw new AppError(404, 'CUSTOMER_NOT_FOUND');
      if (unbound.length) await deps.onRevoked?.(customerId);
      return unbound;
    },

    /**
     * An admin ends every session of a customer and keeps the bindings: their next login is silent
     * again. The identities whose sessions ended; 404 CUSTOMER_NOT_FOUND for an unknown customer.
     */
    async revokeSessions(customerId: string, reason: string, by: Actor) {
      await sessions.voidIdentities(await store.boundIdentities({ ref: customerId }));
      const ended = await store.revokeSessions(customerId, reason, by);
      if (!ended) throw new AppError(404, 'CUSTOMER_NOT_FOUND');
      await deps.onRevoked?.(customerId);
      return ended;
    },

    /** The host system drops a customer's WeChat bindings and sessions (after a password change, say). */
    revoke: (customerId: string, from?: RequestOrigin) =>
      revoke(customerId, undefined, { kind: 'host', name: 'internal API', ...from }),

    /**
     * A signed event from the host. Each id is acted on once: a replay within the signature's life is
     * answered as a duplicate. A customer wxauth has never bound is no error (nothing to drop).
     */
    async receive(
      event: {
        id: string;
        type: HostEvent['type'];
        customerId: string;
      },
      from?: RequestOrigin,
    ): Promise<{ received: string; duplicate: boolean }> {
      // Marked done only once done: a retry that comes while the first try runs (or after it failed)
      // is acted on again, which a revoke allows.
      if ((await kv.get(`hostevt:${event.id}`)) !== undefined) return { received: event.id, duplicate: true };
      try {
        await revoke(event.customerId, event.type === 'customer.password_changed' ? 'password_changed' : 'revoked', {
          kind: 'host',
          name: `event ${event.id}`,
          ...from,
        });
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'CUSTOMER_NOT_FOUND')) throw err;
      }
      await kv.set(`hostevt:${event.id}`, 1, EVENT_MEMORY_MS);
      return { received: event.id, duplicate: false };
    },
  };
}

export type Revocation = ReturnType<typeof createRevocation>;
