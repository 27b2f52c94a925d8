import type { Middleware } from 'koa';
import { sessionRequired } from '../../platform/errors.js';
import type { AppState, Ctx } from '../../platform/http/context.js';
import { setCookie } from '../../platform/http/cookie.js';
import type { Random } from '../../platform/random.js';
import type { Outcome, Sessions } from './sessions.js';

const BROWSER_COOKIE_MS = 24 * 3600_000;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * The browser's side of a session: the session cookie and the browser cookie a login's state is
 * bound to. Under https both are Secure with the `__Host-` prefix, which pins them to this exact
 * origin. What a use-case decides about the session is applied here, and only here.
 */
export function createSessionCookies(deps: {
  secure: boolean;
  absoluteMs: number;
  sessions: Pick<Sessions, 'load'>;
  random: Random;
}) {
  const { secure } = deps;
  const prefix = secure ? '__Host-' : '';
  const names = { session: `${prefix}wxauth_sid`, browser: `${prefix}wxauth_b` };
  const read = (ctx: Ctx, name: string) => {
    const value = ctx.cookies.get(name);
    return value && COOKIE_VALUE.test(value) ? value : undefined;
  };
  const clearSession = (ctx: Ctx) => setCookie(ctx, { name: names.session, value: '', maxAgeMs: 0, secure });

  return {
    /** The session id the browser holds, unchecked. */
    held: (ctx: Ctx) => read(ctx, names.session),

    /** The browser cookie a login is bound to, if the browser has one. */
    browser: (ctx: Ctx) => read(ctx, names.browser),

    /** The browser cookie, made if missing and renewed for a day. */
    holdBrowser(ctx: Ctx): string {
      const browser = read(ctx, names.browser) ?? deps.random.token(16);
      setCookie(ctx, { name: names.browser, value: browser, maxAgeMs: BROWSER_COOKIE_MS, secure });
      return browser;
    },

    /** Loads the session from its cookie into `ctx.state.session`, or answers 401 (and drops a dead cookie). */
    require: (async (ctx, next) => {
      const id = read(ctx, names.session);
      const session = await deps.sessions.load(id);
      if (!session) {
        if (id) clearSession(ctx);
        throw sessionRequired();
      }
      ctx.state.session = session;
      return next();
    }) satisfies Middleware<AppState>,

    /** A use-case's outcome as the HTTP answer: its body (204 for none) and its session cookie. */
    answer<T>(ctx: Ctx, outcome: Outcome<T>): void {
      if (outcome.session === 'drop') clearSession(ctx);
      else if (outcome.session)
        setCookie(ctx, { name: names.session, value: outcome.session.set, maxAgeMs: deps.absoluteMs, secure });
      if (outcome.body === null) ctx.status = 204;
      else ctx.body = outcome.body;
    },
  };
}

export type SessionCookies = ReturnType<typeof createSessionCookies>;
