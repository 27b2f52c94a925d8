import { SmsInboxQuery } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import { validated } from '../../platform/http/validated.js';
import type { AppRouter } from '../../platform/http/context.js';

/** Demo mode only: the last SMS code "sent" to a phone, since the demo sends none. */
export function smsInboxRoute(router: AppRouter, inbox: ReadonlyMap<string, string>): void {
  router.get(
    '/api/dev/sms-inbox',
    validated({ query: SmsInboxQuery }, (ctx, { query }) => {
      const code = inbox.get(query.phone);
      if (!code) throw new AppError(404, 'NO_SMS');
      ctx.body = { code };
    }),
  );
}
