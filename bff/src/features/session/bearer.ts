import type { Middleware } from 'koa';
import { sessionRequired } from '../../platform/errors.js';
import type { AppState, Ctx } from '../../platform/http/context.js';
import type { SessionCookies } from './cookies.js';
import type { Outcome, SessionKind, Sessions } from './sessions.js';

/** RFC 6750's header: `Authorization: Bearer <token>`, the token the shape of a session id. */
const BEARER = /^Bearer ([A-Za-z0-9_-]{16,64})$/;
const ASKS_BEARER = /^Bearer\s/i;

/**
 * A mini program's side of a session: no cookies there, so the id is a bearer token, handed over in the
 * answer's body (`token`) and sent back as `Authorization: Bearer …`. The same sessions as a browser's,
 * marked `bearer`: only accepted this way, as a browser's are only from their cookie.
 */
export function createBearerSessions(deps: { sessions: Pick<Sessions, 'load'> }) {
  const held = (ctx: Ctx) => BEARER.exec(ctx.get('authorization'))?.[1];
  return {
    /** The token the request carries, unchecked. */
    held,

    /** Loads the bearer session into `ctx.state.session`, or answers 401. */
    require: (async (ctx, next) => {
      const session = await deps.sessions.load(held(ctx), 'bearer');
      if (!session) throw sessionRequired();
      ctx.state.session = session;
      return next();
    }) satisfies Middleware<AppState>,

    /**
     * A use-case's outcome as the HTTP answer: its body with the new token when the session got one (a
     * login, a binding: the old token is void from then on); nothing to hold when it was dropped.
     */
    answer<T>(ctx: Ctx, outcome: Outcome<T>): void {
      if (outcome.body === null) ctx.status = 204;
      else if (outcome.session && outcome.session !== 'drop')
        ctx.body = { ...outcome.body, token: outcome.session.set };
      else ctx.body = outcome.body;
    },
  };
}

export type BearerSessions = ReturnType<typeof createBearerSessions>;

/** A session held either way: what routes open to a browser and a mini program alike use. */
export interface SessionDoor {
  /** The session the request holds, and how: a bearer token when it sends one, else the cookie. */
  held(ctx: Ctx): { id: string | undefined; kind: SessionKind };
  require: Middleware<AppState>;
  answer<T>(ctx: Ctx, outcome: Outcome<T>): void;
}

/**
 * Routes for both: a request that sends `Authorization: Bearer` is a mini program's and is judged by its
 * token alone (its cookies, if any, count for nothing); any other by its cookie alone.
 */
export function sessionDoor(cookies: SessionCookies, bearer: BearerSessions): SessionDoor {
  const asBearer = (ctx: Ctx) => ASKS_BEARER.test(ctx.get('authorization'));
  return {
    held: (ctx) =>
      asBearer(ctx) ? { id: bearer.held(ctx), kind: 'bearer' } : { id: cookies.held(ctx), kind: 'cookie' },
    require: (ctx, next) => (asBearer(ctx) ? bearer.require(ctx, next) : cookies.require(ctx, next)),
    answer: (ctx, outcome) => (asBearer(ctx) ? bearer.answer(ctx, outcome) : cookies.answer(ctx, outcome)),
  };
}
