import { JssdkQuery } from '@wxauth/contract';
import { validated } from '../../platform/http/validated.js';
import type { AppRouter } from '../../platform/http/context.js';
import type { Config } from '../../platform/config.js';
import type { Jssdk } from './jssdk.js';

export function jssdkRoutes(router: AppRouter, { config, jssdk }: { config: Config; jssdk: Jssdk }): void {
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
