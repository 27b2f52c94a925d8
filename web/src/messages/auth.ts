import type { ErrorCode } from '@wxauth/contract';
import { lookup } from './lookup';

const RETRY = '登录失败，请重试。';

/**
 * What the user reads on the auth page for each BFF error code. Every code is listed, so a new one
 * fails to compile until it is given a message; those the login has nothing to say about read RETRY.
 */
const AUTH_MESSAGES: Record<ErrorCode, string> = {
  STATE_INVALID: '登录请求已失效，请重新登录。',
  CODE_MISSING: '你已拒绝授权，登录需要你的授权。',
  CODE_INVALID: '授权已失效，请重新登录。',
  CODE_USED: '授权已使用过，请重新登录。',
  CODE_EXPIRED: '授权已过期，请重新登录。',
  SNAPSHOT_USER: '请点击"使用完整服务"打开完整页面后再登录。',
  SCOPE_INVALID: RETRY,
  PLATFORM_INVALID: RETRY,
  PLATFORM_UNAVAILABLE: RETRY,
  LOGIN_FAILED: RETRY,
  LOGIN_IN_PROGRESS: RETRY,
  WECHAT_BUSY: '微信繁忙，请稍后重试。',
  WECHAT_TIMEOUT: '微信响应超时，请重试。',
  WECHAT_UNAVAILABLE: '暂时无法连接微信，请稍后重试。',
  WECHAT_UNREACHABLE: '暂时无法连接微信，请稍后重试。',
  WECHAT_BAD_REPLY: RETRY,
  WECHAT_ERROR: RETRY,
  WECHAT_MISCONFIGURED: RETRY,
  WECHAT_TOKEN_INVALID: RETRY,
  WECHAT_TOKEN_EXPIRED: RETRY,
  WECHAT_REFRESH_TOKEN_INVALID: RETRY,
  WECHAT_SCOPE_DENIED: RETRY,
  SESSION_REQUIRED: RETRY,
  PHONE_INVALID: RETRY,
  SMS_RATE_LIMITED: RETRY,
  SMS_SEND_FAILED: RETRY,
  SMS_CODE_INVALID: RETRY,
  SMS_CODE_EXHAUSTED: RETRY,
  SMS_CODE_EXPIRED: RETRY,
  ALREADY_BOUND: RETRY,
  NOT_BOUND: RETRY,
  NO_SMS: RETRY,
  ACCOUNT_INVALID: RETRY,
  PASSWORD_REQUIRED: RETRY,
  CREDENTIALS_INVALID: RETRY,
  ACCOUNT_LOCKED: RETRY,
  PHONE_NOT_REGISTERED: RETRY,
  BIND_METHOD_DISABLED: RETRY,
  DIRECTORY_UNAVAILABLE: RETRY,
  URL_INVALID: RETRY,
  BAD_REQUEST: RETRY,
  BAD_JSON: RETRY,
  BODY_TOO_LARGE: RETRY,
  UNSUPPORTED_MEDIA_TYPE: RETRY,
  CROSS_ORIGIN_REQUEST: RETRY,
  CLIENT_CLOSED_REQUEST: RETRY,
  NOT_FOUND: RETRY,
  METHOD_NOT_ALLOWED: RETRY,
  RATE_LIMITED: '操作太频繁，请稍后再试。',
  UNAUTHORIZED: RETRY,
  CUSTOMER_ID_INVALID: RETRY,
  CUSTOMER_NOT_FOUND: RETRY,
  SIGNATURE_INVALID: RETRY,
  EVENT_INVALID: RETRY,
  SERVICE_UNAVAILABLE: '登录服务暂时不可用，请稍后重试。',
  NOT_READY: RETRY,
  INTERNAL: RETRY,
};

/** A refusal of the profile step before binding, which the user may skip: the login goes on without it. */
const REFUSED_SKIPPABLE = '你已拒绝授权。授权后，在电脑上用微信登录无需再绑定手机号；也可以跳过这一步。';

/** `code`: an answer's (or the client's own), or the one the BFF puts in /auth?error= when it cannot start. */
export const authMessage = (code: string, opts: { canSkip?: boolean } = {}) =>
  code === 'CODE_MISSING' && opts.canSkip ? REFUSED_SKIPPABLE : lookup(AUTH_MESSAGES, code, RETRY);
