import type Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';

/** What a request carries through the middleware. Features add their own (the session: features/session). */
export interface AppState {
  log: Logger;
  requestId: string;
  /**
   * A request too frequent to log a line each when it succeeds: forward-auth's checks, one per
   * request to a protected service, which nginx's access log records already.
   */
  quiet?: boolean;
  /** The metrics' route label for a request answered outside the router (the OIDC provider's): a bounded set. */
  route?: string;
  body?: Record<string, unknown>;
  /** The body as it came, for a signature over it (the host's events). */
  rawBody?: string;
  /**
   * For routes a person's browser navigates to: shows an error as a page (or a redirect to one)
   * instead of JSON. Given the error's status, code and the message fit to show.
   */
  renderError?: (ctx: Ctx, error: { status: number; code: string; message: string }) => void;
}

export type Ctx = ParameterizedContext<AppState>;

export type AppRouter = Router<AppState>;

/** Where a request came from, as the audit trail records a change it caused. */
export interface RequestOrigin {
  ip: string;
  requestId: string;
}
export const requestOrigin = (ctx: Ctx): RequestOrigin => ({ ip: ctx.ip, requestId: ctx.state.requestId });
