import { MpLoginBody, MpPhoneBody } from '@wxauth/contract';
import { requestOrigin, type AppRouter } from '../../platform/http/context.js';
import type { Limit } from '../../platform/http/limits.js';
import { validated } from '../../platform/http/validated.js';
import type { BearerSessions } from '../session/index.js';
import type { MiniProgram } from './miniProgram.js';

const MINUTE = 60_000;

/**
 * `/api/mp/*`: a mini program's own calls, on bearer sessions only. Everything else it shares with the
 * H5 app (`/api/session`, SMS binding, unbind, logout, forward-auth, identity tokens) takes its bearer
 * token as well (features/session's door).
 */
export function miniProgramRoutes(
  router: AppRouter,
  { bearer, mp, limit }: { bearer: BearerSessions; mp: MiniProgram; limit: Limit },
): void {
  router.post(
    '/api/mp/login',
    limit('mp-login', 60, MINUTE),
    validated({ body: MpLoginBody }, async (ctx, { body }) => {
      bearer.answer(ctx, await mp.login(body.code, bearer.held(ctx), requestOrigin(ctx)));
    }),
  );

  router.post(
    '/api/mp/phone',
    bearer.require,
    limit('mp-phone', 30, MINUTE),
    validated({ body: MpPhoneBody }, async (ctx, { body }) => {
      bearer.answer(ctx, await mp.bindPhone(ctx.state.session!, body.code, requestOrigin(ctx)));
    }),
  );
}
