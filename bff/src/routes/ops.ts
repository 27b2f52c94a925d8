import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { AppRouter, RouteDeps } from './context.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function opsRoutes(router: AppRouter, { config, apps, operations, metrics }: RouteDeps): void {
  const expected = digest(`Bearer ${config.internalApiToken}`);

  // What the H5 app needs to know before it can choose a path: demo mode, PC QR login, and whether a
  // new user gives the profile before binding (only worth it when the PC app can use the unionid).
  router.get('/api/meta', (ctx) => {
    const websiteLogin = Boolean(apps.website?.secret);
    ctx.body = {
      demo: config.demo,
      websiteLogin,
      unionidBeforeBind: websiteLogin && config.unionidBeforeBind,
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

  router.post('/internal/customers/:id/revoke-wechat', async (ctx) => {
    if (!timingSafeEqual(digest(ctx.get('authorization')), expected)) throw new AppError(401, 'UNAUTHORIZED');
    const id = ctx.params.id ?? '';
    if (!/^[1-9]\d{0,15}$/.test(id)) throw new AppError(400, 'CUSTOMER_ID_INVALID');
    await operations.revoke(Number(id));
    ctx.status = 204;
  });
}
