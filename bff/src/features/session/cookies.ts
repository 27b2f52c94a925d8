import { ERROR_CODES, type ErrorCode } from '@wxauth/contract';
import type { Middleware } from 'koa';
import * as v from 'valibot';
import { AppError, badRequest, sessionRequired } from '../../platform/errors.js';
import type { AppState, Ctx } from '../../platform/http/context.js';
import type { Random } from '../../platform/random.js';
import type { Outcome, Sessions } from './sessions.js';

/**
 * What every route uses to translate HTTP: its input checked against the contract's schemas, and the
 * session cookie, the one place a use-case's decision about the session becomes a cookie.
 */

interface Schemas {
  body?: v.GenericSchema;
  query?: v.GenericSchema;
  params?: v.GenericSchema;
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

type Output<S> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;

/** What a handler receives: the body and query as their schemas parsed them. */
export interface Input<S extends Schemas> {
  body: Output<S['body']>;
  query: Output<S['query']>;
  params: Output<S['params']>;
}

function parse(schema: v.GenericSchema | undefined, value: unknown, inPath = false): unknown {
  if (!schema) return undefined;
  const result = v.safeParse(schema, value, { abortEarly: true });
  // A path that names nothing of ours is not found, whatever the rule that refused it.
  if (!result.success && inPath) throw new AppError(404, 'NOT_FOUND');
  // The contract's schemas speak in error codes: the first rule that fails is the answer.
  if (!result.success)
    throw badRequest(CODES.has(result.issues[0].message) ? (result.issues[0].message as ErrorCode) : 'BAD_REQUEST');
  return result.output;
}

/**
 * Every route's input, checked against the contract's schemas before the handler runs. The handler
 * gets only what the schemas let through, typed by them.
 */
export function validated<S extends Schemas>(
  schemas: S,
  handler: (ctx: Ctx, input: Input<S>) => Promise<void> | void,
): (ctx: Ctx) => Promise<void> {
  return async (ctx) => {
    // ctx.query parses the query string: only for a route that has a schema for it.
    const input = {
      params: parse(schemas.params, (ctx as { params?: unknown }).params ?? {}, true),
      query: schemas.query && parse(schemas.query, ctx.query),
      body: parse(schemas.body, ctx.state.body ?? {}),
    };
    await handler(ctx, input as Input<S>);
  };
}

const BROWSER_COOKIE_MS = 24 * 3600_000;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{16,64}$/;

/** One HttpOnly, SameSite=Lax cookie (Lax: WeChat's redirect back is a top-level navigation). */
export function setCookie(ctx: Ctx, c: { name: string; value: string; maxAgeMs: number; secure: boolean }): void {
  ctx.append(
    'Set-Cookie',
    `${c.name}=${c.value}; Path=/; Max-Age=${Math.floor(c.maxAgeMs / 1000)}; HttpOnly; SameSite=Lax${c.secure ? '; Secure' : ''}`,
  );
}

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
