import { CUSTOMER_REF, HostEvent } from '@wxauth/contract';
import type { Config, WechatApps } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { AppRouter } from '../../platform/http/context.js';
import { requireInternalToken } from '../../platform/http/internalToken.js';
import { validated } from '../../platform/http/validated.js';
import type { Metrics } from '../../platform/metrics.js';
import { requireHostSignature } from '../accounts/index.js';
import type { Operations } from './operations.js';

export function operationsRoutes(
  router: AppRouter,
  deps: { config: Config; apps: WechatApps; operations: Operations; metrics: Metrics },
): void {
  const { config, apps, operations, metrics } = deps;
  // What the H5 app needs to know before it can choose a path: demo mode, PC QR login, and whether a
  // new user gives the profile before binding (only worth it when the PC app can use the unionid).
  router.get('/api/meta', (ctx) => {
    const websiteLogin = Boolean(apps.website?.secret);
    ctx.body = {
      demo: config.demo,
      websiteLogin,
      unionidBeforeBind: websiteLogin && config.unionidBeforeBind,
      bindMethods: config.accounts.bindMethods,
      // The demo's WeChat, as the browser reaches it: the banner's 换个新用户 goes there.
      ...(config.demo && { simulator: apps.openBase }),
    };
  });

  // Each instance's own figures, for Prometheus to scrape on the BFF's port (nginx does not pass this on).
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    ctx.body = await operations.ready();
  });

  router.post('/internal/customers/:id/revoke-wechat', requireInternalToken(config.internalApiToken), async (ctx) => {
    const id = ctx.params.id ?? '';
    if (!CUSTOMER_REF.test(id)) throw new AppError(400, 'CUSTOMER_ID_INVALID');
    await operations.revoke(id);
    ctx.status = 204;
  });

  // The host system's events to us, signed with HOST_SIGNING_SECRET as ours to it are: after a
  // password change, `customer.password_changed` drops the customer's WeChat bindings. A replay (the
  // same id again) is answered as done and changes nothing; an old signature is refused.
  router.post(
    '/internal/events',
    requireHostSignature(config.accounts.hostSecrets),
    validated({ body: HostEvent }, async (ctx, { body: { id, type, data } }) => {
      ctx.body = await operations.receive({ id, type, customerId: data.customerId });
    }),
  );
}
