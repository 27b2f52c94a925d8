import { CUSTOMER_REF, HostEvent } from '@wxauth/contract';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { requestOrigin, type AppRouter } from '../../platform/http/context.js';
import { requireInternalToken } from '../../platform/http/internalToken.js';
import { validated } from '../../platform/http/validated.js';
import { requireHostSignature } from './hostSignature.js';
import type { Revocation } from './revocation.js';

/** The host's calls to us: its operators' revocation (bearer INTERNAL_API_TOKEN), and its signed events. */
export function accountsRoutes(
  router: AppRouter,
  { config, revocation }: { config: Config; revocation: Revocation },
): void {
  router.post('/internal/customers/:id/revoke-wechat', requireInternalToken(config.internalApiToken), async (ctx) => {
    const id = ctx.params.id ?? '';
    if (!CUSTOMER_REF.test(id)) throw new AppError(400, 'CUSTOMER_ID_INVALID');
    await revocation.revoke(id, requestOrigin(ctx));
    ctx.status = 204;
  });

  // The host system's events to us, signed with HOST_SIGNING_SECRET as ours to it are: after a
  // password change, `customer.password_changed` drops the customer's WeChat bindings. A replay (the
  // same id again) is answered as done and changes nothing; an old signature is refused.
  router.post(
    '/internal/events',
    requireHostSignature(config.accounts.hostSecrets),
    validated({ body: HostEvent }, async (ctx, { body: { id, type, data } }) => {
      ctx.body = await revocation.receive({ id, type, customerId: data.customerId }, requestOrigin(ctx));
    }),
  );
}
