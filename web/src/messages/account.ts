import type { ErrorCode, ErrorDetails } from '@wxauth/contract';
import type { ApiError } from '@/api/http';
import { lookup } from './lookup';

const FAILED = '操作失败，请稍后重试';

/**
 * What the user reads on the bind and home pages for each BFF error code. Every code is listed, so a
 * new one fails to compile until it is given a message; those these pages never meet read FAILED.
 */
const ACCOUNT_MESSAGES: Record<ErrorCode, string> = {
  STATE_INVALID: FAILED,
  CODE_MISSING: FAILED,
  CODE_INVALID: FAILED,
  CODE_USED: FAILED,
  CODE_EXPIRED: FAILED,
  SNAPSHOT_USER: FAILED,
  SCOPE_INVALID: FAILED,
  PLATFORM_INVALID: FAILED,
  PLATFORM_UNAVAILABLE: FAILED,
  LOGIN_FAILED: FAILED,
  LOGIN_IN_PROGRESS: FAILED,
  WECHAT_BUSY: FAILED,
  WECHAT_TIMEOUT: FAILED,
  WECHAT_UNAVAILABLE: FAILED,
  WECHAT_UNREACHABLE: FAILED,
  WECHAT_BAD_REPLY: FAILED,
  WECHAT_ERROR: FAILED,
  WECHAT_MISCONFIGURED: FAILED,
  WECHAT_TOKEN_INVALID: FAILED,
  WECHAT_TOKEN_EXPIRED: FAILED,
  WECHAT_REFRESH_TOKEN_INVALID: FAILED,
  WECHAT_SCOPE_DENIED: FAILED,
  SESSION_REQUIRED: FAILED,
  PHONE_INVALID: '请输入正确的手机号',
  SMS_RATE_LIMITED: '发送太频繁，请稍后再试',
  SMS_SEND_FAILED: '短信发送失败，请稍后重试',
  SMS_CODE_INVALID: '验证码错误',
  SMS_CODE_EXHAUSTED: '验证码错误次数过多，请重新获取',
  SMS_CODE_EXPIRED: '验证码已失效，请重新获取',
  ALREADY_BOUND: '已绑定手机号',
  NOT_BOUND: '尚未绑定手机号',
  NO_SMS: FAILED,
  ACCOUNT_INVALID: '请输入账号',
  PASSWORD_REQUIRED: '请输入密码',
  CREDENTIALS_INVALID: '账号或密码错误',
  ACCOUNT_LOCKED: '尝试次数过多，请稍后再试',
  PHONE_NOT_REGISTERED: '该手机号尚未注册',
  BIND_METHOD_DISABLED: '暂不支持这种绑定方式',
  DIRECTORY_UNAVAILABLE: '账号服务暂时不可用，请稍后重试',
  URL_INVALID: FAILED,
  BAD_REQUEST: FAILED,
  BAD_JSON: FAILED,
  BODY_TOO_LARGE: FAILED,
  UNSUPPORTED_MEDIA_TYPE: FAILED,
  CROSS_ORIGIN_REQUEST: FAILED,
  CLIENT_CLOSED_REQUEST: FAILED,
  NOT_FOUND: FAILED,
  METHOD_NOT_ALLOWED: FAILED,
  RATE_LIMITED: FAILED,
  UNAUTHORIZED: FAILED,
  CUSTOMER_ID_INVALID: FAILED,
  CUSTOMER_NOT_FOUND: FAILED,
  SIGNATURE_INVALID: FAILED,
  EVENT_INVALID: FAILED,
  SERVICE_UNAVAILABLE: FAILED,
  NOT_READY: FAILED,
  INTERNAL: FAILED,
};

/**
 * `serverMessage`: the BFF's own text, used for the one code whose text the operator configures
 * (PHONE_NOT_REGISTERED: DIRECTORY_UNKNOWN_PHONE_MESSAGE), and only there.
 */
export function accountMessage(code: ApiError['code'], details: ErrorDetails = {}, serverMessage?: string): string {
  if (code === 'SMS_CODE_INVALID' && typeof details.triesLeft === 'number')
    return `验证码错误，还可尝试 ${details.triesLeft} 次`;
  if (code === 'ACCOUNT_LOCKED' && typeof details.retryAfterSeconds === 'number')
    return `尝试次数过多，请 ${Math.max(1, Math.ceil(details.retryAfterSeconds / 60))} 分钟后再试`;
  if (code === 'PHONE_NOT_REGISTERED' && serverMessage?.trim()) return serverMessage.trim();
  return code === 'NETWORK' ? '网络异常，请检查网络后重试' : lookup(ACCOUNT_MESSAGES, code, FAILED);
}
