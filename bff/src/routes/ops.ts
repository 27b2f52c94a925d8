import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import { parsePhone } from '../phone.js';
import { single, type AppRouter, type RouteDeps } from './context.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function opsRoutes(router: AppRouter, deps: RouteDeps): void {
  const { config, store, kv, smsInbox, metrics } = deps;
  const expected = digest(`Bearer ${config.internalApiToken}`);

  // What the H5 app needs to know before it can choose a path: demo mode, PC QR login, and whether a
  // new user gives the profile before binding (only worth it when the PC app can use the unionid).
  router.get('/api/meta', (ctx) => {
    const websiteLogin = Boolean(config.website?.secret);
    ctx.body = {
      demo: config.demo,
      websiteLogin,
      unionidBeforeBind: websiteLogin && config.unionidBeforeBind,
      // The demo's WeChat, as the browser reaches it: the banner's 换个新用户 goes there.
      ...(config.demo && { simulator: config.wechat.openBase }),
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
    const checks = await Promise.allSettled([store.ping(), kv.ping()]);
    const [database, state] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    if (database !== 'ok' || state !== 'ok')
      throw new AppError(503, 'NOT_READY', '服务未就绪', { database, state }, true);
    ctx.body = { status: 'ready', database, state };
  });

  router.post('/internal/customers/:id/revoke-wechat', async (ctx) => {
    if (!timingSafeEqual(digest(ctx.get('authorization')), expected))
      throw new AppError(401, 'UNAUTHORIZED', 'a valid bearer token is required');
    const id = ctx.params.id ?? '';
    if (!/^[1-9]\d{0,15}$/.test(id))
      throw new AppError(400, 'CUSTOMER_ID_INVALID', 'customer id must be a positive integer');
    if (!(await store.revokeCustomer(Number(id)))) throw new AppError(404, 'CUSTOMER_NOT_FOUND', 'no such customer');
    ctx.status = 204;
  });

  if (config.demo && smsInbox) {
    router.get('/api/dev/sms-inbox', (ctx) => {
      const phone = parsePhone(single(ctx.query.phone));
      const code = smsInbox.get(phone);
      if (!code) throw new AppError(404, 'NO_SMS', '没有发给这个号码的短信');
      ctx.body = { code };
    });
  }
}
