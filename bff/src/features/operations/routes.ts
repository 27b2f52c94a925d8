import type { Config, WechatApps } from '../../platform/config.js';
import type { AppRouter } from '../../platform/http/context.js';
import type { Metrics } from '../../platform/metrics.js';
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
      // A desktop can log in by scanning the Official Account's QR code (features/follow).
      followLogin: config.follow !== null,
      unionidBeforeBind: websiteLogin && config.unionidBeforeBind,
      bindMethods: config.accounts.bindMethods,
      // The demo's WeChat, as the browser reaches it: the banner's 换个新用户 goes there.
      ...(config.demo && { simulator: apps.openBase }),
      // Where the page loads WeChat's JS-SDK from: WeChat's script, or the simulator's stand-in.
      ...(apps.jssdkScript && { jweixin: apps.jssdkScript }),
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
}
