import { JssdkQuery } from '@wxauth/contract';
import { validated } from '../session/cookies.js';
import type { AppRouter, RouteDeps } from '../../routes/context.js';

export function jssdkRoutes(router: AppRouter, { config, jssdk }: RouteDeps): void {
  router.get(
    '/api/wechat/jssdk-config',
    validated({ query: JssdkQuery }, async (ctx, { query }) => {
      // Pages on the site's other origins ask from the browser: CORS for exactly those, no credentials.
      const origin = ctx.get('origin');
      if (origin && origin !== config.publicUrl && config.jssdkOrigins.includes(origin)) {
        ctx.set('Access-Control-Allow-Origin', origin);
        ctx.vary('Origin');
      }
      ctx.body = await jssdk.config(query.url);
    }),
  );
}
