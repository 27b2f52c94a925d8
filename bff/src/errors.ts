import type { ErrorCode } from '@wxauth/contract';

/** What the BFF says for each code unless the throw site says more (tries left, seconds to wait). */
const MESSAGES: Record<ErrorCode, string> = {
  STATE_INVALID: '登录请求已失效，请重新进入',
  CODE_MISSING: '缺少授权码，请重新进入',
  CODE_INVALID: '授权码无效，请重新进入',
  CODE_USED: '授权码已被使用，请重新进入',
  CODE_EXPIRED: '授权码已过期，请重新进入',
  SNAPSHOT_USER: '请点击"使用完整服务"打开完整页面后再登录',
  SCOPE_INVALID: 'scope 须为 snsapi_base 或 snsapi_userinfo',
  PLATFORM_INVALID: 'platform 须为 mp 或 website',
  PLATFORM_UNAVAILABLE: '未配置网站应用，暂不支持扫码登录',
  LOGIN_FAILED: '登录失败，请重试',
  LOGIN_IN_PROGRESS: '登录处理中，请稍后刷新',
  WECHAT_BUSY: '微信繁忙，请稍后重试',
  WECHAT_TIMEOUT: '微信响应超时，请重试',
  WECHAT_UNAVAILABLE: '微信服务暂不可用',
  WECHAT_UNREACHABLE: '无法连接微信，请重试',
  WECHAT_BAD_REPLY: '微信返回了无法识别的内容',
  WECHAT_ERROR: '微信返回错误',
  WECHAT_MISCONFIGURED: 'WeChat refused our credentials',
  WECHAT_TOKEN_INVALID: 'access_token 无效',
  WECHAT_TOKEN_EXPIRED: 'access_token 已过期',
  WECHAT_REFRESH_TOKEN_INVALID: 'refresh_token 无效或已过期',
  WECHAT_SCOPE_DENIED: '未获得该接口的授权',
  SESSION_REQUIRED: '请先登录',
  PHONE_INVALID: '请输入正确的中国大陆手机号',
  SMS_RATE_LIMITED: '发送太频繁，请稍后再试',
  SMS_SEND_FAILED: '短信发送失败，请稍后重试',
  SMS_CODE_INVALID: '请输入 6 位数字验证码',
  SMS_CODE_EXHAUSTED: '验证码错误次数过多，请重新获取',
  SMS_CODE_EXPIRED: '验证码已失效，请重新获取',
  ALREADY_BOUND: '已绑定手机号',
  NOT_BOUND: '尚未绑定手机号',
  NO_SMS: '没有发给这个号码的短信',
  ACCOUNT_INVALID: '请输入账号',
  PASSWORD_REQUIRED: '请输入密码',
  CREDENTIALS_INVALID: '账号或密码错误',
  ACCOUNT_LOCKED: '尝试次数过多，请稍后再试',
  PHONE_NOT_REGISTERED: '该手机号尚未注册，请先注册或使用账号密码登录',
  BIND_METHOD_DISABLED: '未启用这种绑定方式',
  DIRECTORY_UNAVAILABLE: '账号服务暂时不可用，请稍后重试',
  URL_INVALID: 'url 须为本站页面的完整地址',
  BAD_REQUEST: '请求无效',
  BAD_JSON: '请求体不是合法的 JSON',
  BODY_TOO_LARGE: '请求体过大',
  UNSUPPORTED_MEDIA_TYPE: '请求体须为 JSON',
  CROSS_ORIGIN_REQUEST: '请求来源不是本站页面，已拒绝',
  CLIENT_CLOSED_REQUEST: '请求未完整送达',
  NOT_FOUND: '没有这个接口',
  METHOD_NOT_ALLOWED: '不支持该请求方法',
  RATE_LIMITED: '请求太频繁，请稍后再试',
  UNAUTHORIZED: 'a valid bearer token is required',
  CUSTOMER_ID_INVALID: 'customer id must be 1 to 64 letters, digits and . _ : -',
  CUSTOMER_NOT_FOUND: 'no such customer',
  SIGNATURE_INVALID: 'X-Wxauth-Signature is missing, malformed, stale or wrong',
  EVENT_INVALID: 'expected {id, type, data} with a known type',
  SERVICE_UNAVAILABLE: '服务暂时不可用，请稍后重试',
  NOT_READY: '服务未就绪',
  INTERNAL: '服务暂时不可用，请稍后重试',
};

/**
 * The one error type the BFF throws on purpose. `code` is one of the contract's (README, "Error
 * codes"); `message` is shown to users when `expose` is true, and replaced by a generic one otherwise.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string = MESSAGES[code],
    readonly details: Record<string, unknown> = {},
    readonly expose = status < 500,
  ) {
    super(message);
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
