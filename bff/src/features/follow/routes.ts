import { FollowAnswerBody, FollowLoginQuery, FollowQrBody, safeReturnTo } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import type { AppRouter, Ctx } from '../../platform/http/context.js';
import { setCookie } from '../../platform/http/cookie.js';
import type { Limit } from '../../platform/http/limits.js';
import { validated } from '../../platform/http/validated.js';
import type { SessionCookies } from '../session/index.js';
import { streamState } from './events.js';
import { noDesktop, type FollowLogin } from './follow.js';

const MINUTE = 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The desktop's and the phone's routes of the login through the Official Account (the push comes in
 * through features/messages). The desktop is bound to its waiting login by an HttpOnly cookie: another
 * browser that learns the login's id (the confirm link) can neither watch it nor collect its session.
 * Every POST is same-origin JSON (sameOriginWrites, jsonBody), so no sibling subdomain can confirm for a user.
 */
export function followRoutes(
  router: AppRouter,
  deps: {
    follow: FollowLogin | null;
    cookies: SessionCookies;
    limit: Limit;
    publicUrl: string;
    secure: boolean;
    /** How long the desktop's cookie lives: the login's whole life. */
    cookieMs: number;
    /** Aborted when the server shuts down: the desktop's event streams end then. */
    closing?: AbortSignal;
  },
): void {
  const { follow, cookies, limit, secure } = deps;
  const name = `${secure ? '__Host-' : ''}wxauth_follow`;

  if (!follow) {
    router.post('/api/auth/follow/qr', () => {
      throw new AppError(404, 'FOLLOW_LOGIN_OFF');
    });
    return;
  }

  const desktop = (ctx: Ctx): string => {
    const token = ctx.cookies.get(name);
    if (!token || !TOKEN.test(token)) throw noDesktop();
    return token;
  };
  const hold = (ctx: Ctx, value: string, maxAgeMs: number) => setCookie(ctx, { name, value, maxAgeMs, secure });

  router.post(
    '/api/auth/follow/qr',
    limit('follow-qr', 20, MINUTE),
    validated({ body: FollowQrBody }, async (ctx, { body }) => {
      const { token, qr } = await follow.start({
        returnTo: safeReturnTo(body.returnTo, deps.publicUrl),
        userAgent: ctx.get('user-agent'),
      });
      // A new QR code replaces this browser's waiting login: only the latest can be collected.
      hold(ctx, token, deps.cookieMs);
      ctx.body = qr;
    }),
  );

  router.get('/api/auth/follow/state', async (ctx) => {
    ctx.body = { state: await follow.stateOf(follow.idOf(desktop(ctx))) };
  });

  router.get('/api/auth/follow/events', limit('follow-events', 120, MINUTE), async (ctx) => {
    ctx.state.quiet = true;
    await streamState(ctx, follow, follow.idOf(desktop(ctx)), deps.closing);
  });

  router.post('/api/auth/follow/finish', limit('login', 60, MINUTE), async (ctx) => {
    const outcome = await follow.finish(desktop(ctx), cookies.held(ctx));
    hold(ctx, '', 0);
    cookies.answer(ctx, outcome);
  });

  // The phone: a WeChat session (snsapi_base through /auth), bound or not yet.
  router.get(
    '/api/auth/follow/login',
    cookies.require,
    validated({ query: FollowLoginQuery }, async (ctx, { query }) => {
      ctx.body = await follow.info(query.login, ctx.state.session!);
    }),
  );

  for (const state of ['confirmed', 'cancelled'] as const)
    router.post(
      `/api/auth/follow/${state === 'confirmed' ? 'confirm' : 'cancel'}`,
      limit('follow-answer', 30, MINUTE),
      cookies.require,
      validated({ body: FollowAnswerBody }, async (ctx, { body }) => {
        ctx.body = await follow.answer(body.login, ctx.state.session!, state);
      }),
    );
}
