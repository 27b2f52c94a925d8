/**
 * Every error code the BFF answers with, in `{"error": {"code", "message", ...details}}`. Both sides
 * import this list: the BFF can throw no other code, and the H5 app's messages are a
 * `Record<ErrorCode, string>`, so a missing or mistyped code fails to compile.
 */
export const ERROR_CODES = [
  // The login (web authorization): the state, WeChat's code, and who may log in.
  'STATE_INVALID',
  'CODE_MISSING',
  'CODE_INVALID',
  'CODE_USED',
  'CODE_EXPIRED',
  'SNAPSHOT_USER',
  'SCOPE_INVALID',
  'PLATFORM_INVALID',
  'PLATFORM_UNAVAILABLE',
  'LOGIN_FAILED',
  'LOGIN_IN_PROGRESS',
  // Login through the Official Account (scan the account's QR, confirm on the phone).
  'FOLLOW_LOGIN_OFF',
  'FOLLOW_LOGIN_EXPIRED',
  'FOLLOW_LOGIN_OTHER_USER',
  'FOLLOW_LOGIN_ANSWERED',
  'FOLLOW_LOGIN_NOT_CONFIRMED',
  // WeChat itself.
  'WECHAT_BUSY',
  'WECHAT_TIMEOUT',
  'WECHAT_UNAVAILABLE',
  'WECHAT_UNREACHABLE',
  'WECHAT_BAD_REPLY',
  'WECHAT_ERROR',
  'WECHAT_MISCONFIGURED',
  'WECHAT_TOKEN_INVALID',
  'WECHAT_TOKEN_EXPIRED',
  'WECHAT_REFRESH_TOKEN_INVALID',
  'WECHAT_SCOPE_DENIED',
  // Mini programs: code2Session's and getPhoneNumber's own.
  'WECHAT_RISKY_USER',
  'WECHAT_RATE_LIMITED',
  'PHONE_CODE_INVALID',
  'PHONE_COUNTRY_UNSUPPORTED',
  'PHONE_WATERMARK_INVALID',
  // The session and the phone binding.
  'SESSION_REQUIRED',
  'PHONE_INVALID',
  'SMS_RATE_LIMITED',
  'SMS_SEND_FAILED',
  'SMS_CODE_INVALID',
  'SMS_CODE_EXHAUSTED',
  'SMS_CODE_EXPIRED',
  'ALREADY_BOUND',
  'NOT_BOUND',
  'NO_SMS',
  // The host system's accounts: its directory and its passwords.
  'ACCOUNT_INVALID',
  'PASSWORD_REQUIRED',
  'CREDENTIALS_INVALID',
  'ACCOUNT_LOCKED',
  'PHONE_NOT_REGISTERED',
  'BIND_METHOD_DISABLED',
  'DIRECTORY_UNAVAILABLE',
  // The JS-SDK signature.
  'URL_INVALID',
  // The request itself.
  'BAD_REQUEST',
  'BAD_JSON',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'CROSS_ORIGIN_REQUEST',
  'CLIENT_CLOSED_REQUEST',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'RATE_LIMITED',
  // The host system's internal API.
  'UNAUTHORIZED',
  'CUSTOMER_ID_INVALID',
  'CUSTOMER_NOT_FOUND',
  'SIGNATURE_INVALID',
  'EVENT_INVALID',
  // WeChat's pushes to the Official Account's server URL.
  'PUSH_SIGNATURE_INVALID',
  'PUSH_STALE',
  'PUSH_INVALID',
  'PUSH_UNDECRYPTABLE',
  // Ours.
  'SERVICE_UNAVAILABLE',
  'NOT_READY',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a client may be told besides the code and message (a wrong SMS code's tries left, …). */
export interface ErrorDetails {
  triesLeft?: number;
  retryAfterSeconds?: number;
  errcode?: number;
  [detail: string]: unknown;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string } & ErrorDetails;
}
