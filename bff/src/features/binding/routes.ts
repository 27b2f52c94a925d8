import { BindBody, BindPasswordBody, SmsSendBody } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import { validated } from '../../platform/http/validated.js';
import { requestOrigin, type AppRouter } from '../../platform/http/context.js';
import type { Limit } from '../../platform/http/limits.js';
import type { SessionDoor } from '../session/index.js';
import type { Account } from './account.js';

export function bindingRoutes(
  router: AppRouter,
  // A browser's cookie session or a mini program's bearer one: SMS binding, the password and unbinding
  // work for both, and a bearer session's new token comes back in the body.
  { door: cookies, account, limit }: { door: SessionDoor; account: Account; limit: Limit },
): void {
  const signedIn = cookies.require;

  // ?optional=1 is a page asking whether anyone is signed in: nobody is 204, not the 401 a browser logs
  // as a failed request on every first visit. Without it, the 401 as before.
  router.get('/api/session', async (ctx) => {
    try {
      await signedIn(ctx, async () => undefined);
    } catch (error) {
      if (ctx.query.optional === '1' && error instanceof AppError && error.code === 'SESSION_REQUIRED')
        return void (ctx.status = 204);
      throw error;
    }
    ctx.body = await account.view(ctx.state.session!);
  });

  router.post(
    '/api/sms/send',
    signedIn,
    validated({ body: SmsSendBody }, async (ctx, { body }) => {
      ctx.body = await account.sendSms(ctx.state.session!, body.phone, ctx.ip);
    }),
  );

  router.post(
    '/api/account/bind',
    signedIn,
    validated({ body: BindBody }, async (ctx, { body }) => {
      cookies.answer(ctx, await account.bind(ctx.state.session!, body.phone, body.smsCode, requestOrigin(ctx)));
    }),
  );

  // The account limits are the use-case's (5 failures lock an account, an IP, an identity); this one
  // bounds how fast one address may ask the host at all.
  router.post(
    '/api/account/bind-password',
    signedIn,
    limit('bind-password', 30, 15 * 60_000),
    validated({ body: BindPasswordBody }, async (ctx, { body }) => {
      cookies.answer(
        ctx,
        await account.bindPassword(ctx.state.session!, body.account, body.password, requestOrigin(ctx)),
      );
    }),
  );

  router.post('/api/account/unbind', signedIn, async (ctx) => {
    cookies.answer(ctx, await account.unbind(ctx.state.session!, requestOrigin(ctx)));
  });
}
