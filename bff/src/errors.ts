/**
 * The one error type the BFF throws on purpose. `code` is stable and documented (README, "Error codes");
 * `message` is shown to users when `expose` is true, and replaced by a generic one otherwise.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly expose = status < 500,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);

export const sessionRequired = () => new AppError(401, 'SESSION_REQUIRED', '请先登录');
