import { errorMessage, type ErrorCode } from '@wxauth/contract';

/**
 * The one error type the BFF throws on purpose. `code` is one of the contract's (docs/reference/http-api.md, "Error
 * codes"); `message` is shown to users when `expose` is true, and replaced by a generic one otherwise.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message?: string,
    readonly details: Record<string, unknown> = {},
    readonly expose = status < 500,
  ) {
    // The contract's words for the code, with what its details add, unless the throw site says more.
    super(message ?? errorMessage(code, details));
    this.name = 'AppError';
  }
}

export const badRequest = (code: ErrorCode, message?: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);

export const sessionRequired = () => new AppError(401, 'SESSION_REQUIRED');

/**
 * A store we depend on (Redis, the database) cannot be reached. Never a user's mistake: 503 with a
 * Retry-After, and logins fail closed rather than skip a check.
 */
export const unavailable = (what: 'state' | 'database') =>
  new AppError(503, 'SERVICE_UNAVAILABLE', undefined, { retryAfterSeconds: 5, store: what }, true);

/**
 * The error codes Node and mysql2 give when the database is down, restarting, out of connections, or
 * gave up on a lock: in each case the same request may succeed a moment later.
 */
const DATABASE_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);

function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const fatal = (err as { fatal?: unknown } | null)?.fatal === true;
  // mysql2 marks connection-level failures fatal, some with no code ("connection is in closed state").
  return fatal || (typeof code === 'string' && DATABASE_DOWN.has(code));
}

/** A failure as the user is told it: a database that is down is the one 503, anything else as it is. */
export const asAppError = (err: unknown): unknown => (isDatabaseDown(err) ? unavailable('database') : err);
