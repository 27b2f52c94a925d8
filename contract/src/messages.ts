import type { ErrorCode, ErrorDetails } from './errors.js';

/**
 * What a user of the H5 app or the uni-app example is told for each code they can meet: what happened
 * and what to do, in Chinese, with a space between Chinese and numbers or Latin text.
 */
const FOR_USERS = {
  STATE_INVALID: '登录请求已失效，请重新登录',
  CODE_MISSING: '你已拒绝授权，登录需要你的授权',
  CODE_INVALID: '授权已失效，请重新登录',
  CODE_USED: '授权已使用过，请重新登录',
  CODE_EXPIRED: '授权已过期，请重新登录',
  SNAPSHOT_USER: '请点击"使用完整服务"打开完整页面后再登录',
  LOGIN_FAILED: '登录失败，请重试',
  LOGIN_IN_PROGRESS: '登录处理中，请稍后刷新',
  FOLLOW_LOGIN_EXPIRED: '二维码已过期，请在电脑上刷新二维码后重新扫码',
  FOLLOW_LOGIN_OTHER_USER: '请使用扫码的微信确认登录',
  FOLLOW_LOGIN_ANSWERED: '这次登录已确认或已取消，请勿重复操作',
  FOLLOW_LOGIN_NOT_CONFIRMED: '请先在手机上确认登录',
  WECHAT_BUSY: '微信繁忙，请稍后重试',
  WECHAT_TIMEOUT: '微信响应超时，请重试',
  WECHAT_UNAVAILABLE: '暂时无法连接微信，请稍后重试',
  WECHAT_UNREACHABLE: '暂时无法连接微信，请稍后重试',
  WECHAT_RISKY_USER: '微信判断当前账号存在风险，暂时无法登录',
  WECHAT_RATE_LIMITED: '操作太频繁，请一分钟后再试',
  PHONE_CODE_INVALID: '手机号授权已失效，请重新点击获取',
  PHONE_COUNTRY_UNSUPPORTED: '暂只支持中国大陆手机号，请用短信验证码绑定',
  SESSION_REQUIRED: '请先登录',
  PHONE_INVALID: '请输入正确的手机号',
  SMS_RATE_LIMITED: '发送太频繁，请稍后再试',
  SMS_SEND_FAILED: '短信发送失败，请稍后重试',
  SMS_CODE_INVALID: '请输入 6 位数字验证码',
  SMS_CODE_EXHAUSTED: '验证码错误次数过多，请重新获取',
  SMS_CODE_EXPIRED: '验证码已失效，请重新获取',
  ALREADY_BOUND: '已绑定手机号',
  NOT_BOUND: '尚未绑定手机号',
  ACCOUNT_INVALID: '请输入账号',
  PASSWORD_REQUIRED: '请输入密码',
  CREDENTIALS_INVALID: '账号或密码错误',
  ACCOUNT_LOCKED: '尝试次数过多，请稍后再试',
  // The BFF's default; an operator may word it otherwise (DIRECTORY_UNKNOWN_PHONE_MESSAGE).
  PHONE_NOT_REGISTERED: '该手机号尚未注册，请先注册或使用账号密码登录',
  BIND_METHOD_DISABLED: '暂不支持这种绑定方式',
  DIRECTORY_UNAVAILABLE: '账号服务暂时不可用，请稍后重试',
  RATE_LIMITED: '操作太频繁，请稍后再试',
  SERVICE_UNAVAILABLE: '服务暂时不可用，请稍后重试',
  INTERNAL: '服务暂时不可用，请稍后重试',
} as const satisfies Partial<Record<ErrorCode, string>>;

/**
 * A developer's or an operator's business, which a user can do nothing about (a malformed request, the
 * host's internal API, WeChat refusing our credentials): the BFF says it, a front end shows its own
 * general words instead. No code is in both tables: it would not compile.
 */
const FOR_DEVELOPERS = {
  SCOPE_INVALID: 'scope 须为 snsapi_base 或 snsapi_userinfo',
  PLATFORM_INVALID: 'platform 须为 mp 或 website',
  PLATFORM_UNAVAILABLE: '未配置网站应用，暂不支持扫码登录',
  FOLLOW_LOGIN_OFF: '未开启公众号扫码关注登录（FOLLOW_LOGIN）',
  WECHAT_BAD_REPLY: '微信返回了无法识别的内容',
  WECHAT_ERROR: '微信返回错误',
  WECHAT_MISCONFIGURED: 'WeChat refused our credentials',
  WECHAT_TOKEN_INVALID: 'access_token 无效',
  WECHAT_TOKEN_EXPIRED: 'access_token 已过期',
  WECHAT_REFRESH_TOKEN_INVALID: 'refresh_token 无效或已过期',
  WECHAT_SCOPE_DENIED: '未获得该接口的授权',
  PHONE_WATERMARK_INVALID: '微信返回的手机号不属于本小程序（watermark.appid 不符）',
  NO_SMS: '没有发给这个号码的短信',
  URL_INVALID: 'url 须为本站页面的完整地址',
  BAD_REQUEST: '请求无效',
  BAD_JSON: '请求体不是合法的 JSON',
  BODY_TOO_LARGE: '请求体过大',
  UNSUPPORTED_MEDIA_TYPE: '请求体须为 JSON',
  CROSS_ORIGIN_REQUEST: '请求来源不是本站页面，已拒绝',
  CLIENT_CLOSED_REQUEST: '请求未完整送达',
  NOT_FOUND: '没有这个接口',
  METHOD_NOT_ALLOWED: '不支持该请求方法',
  UNAUTHORIZED: 'a valid bearer token is required',
  CUSTOMER_ID_INVALID: 'customer id must be 1 to 64 letters, digits and . _ : -',
  CUSTOMER_NOT_FOUND: 'no such customer',
  SIGNATURE_INVALID: 'X-Wxauth-Signature is missing, malformed, stale or wrong',
  EVENT_INVALID: 'expected {id, type, data} with a known type',
  PUSH_SIGNATURE_INVALID: 'signature or msg_signature is missing or wrong for WX_MESSAGE_TOKEN',
  PUSH_STALE: 'timestamp is more than 5 minutes from now',
  PUSH_INVALID: 'expected the XML of a WeChat push',
  PUSH_UNDECRYPTABLE: 'Encrypt cannot be decrypted with WX_MESSAGE_AES_KEYS for this appid',
  NOT_READY: '服务未就绪',
} as const satisfies Partial<Record<Exclude<ErrorCode, keyof typeof FOR_USERS>, string>>;

/**
 * Every code's default message: the BFF's `message` unless the throw site says more. Typed as the whole
 * record, so a code without one fails to compile. (Pure, so a bundle that uses none of this module's
 * tables, the client's login path, leaves them out.)
 */
export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = /* @__PURE__ */ Object.assign(
  {},
  FOR_USERS,
  FOR_DEVELOPERS,
);

/** Whether `code` is one whose message is for users (`FOR_USERS`), not a developer's or an operator's. */
export const isUserErrorCode = (code: string): code is ErrorCode =>
  Object.prototype.hasOwnProperty.call(FOR_USERS, code);

/** A front end's words for a call that got no answer (the client's code NETWORK). */
export const NETWORK_MESSAGE = '网络异常，请检查网络后重试';

/**
 * The desktop's words when its login's event stream is refused while the login still waits: nginx caps
 * the streams one address holds open (docs/guide/follow-login.md), and the BFF their rate.
 */
export const FOLLOW_STREAM_REFUSED_MESSAGE = '当前网络中正在扫码登录的页面过多，请稍后刷新二维码';

/** A front end's words for a failure the user can do nothing about but try again later. */
export const FAILED_MESSAGE = '操作失败，请稍后重试';

/** `code`'s message with what its details add: the tries left, how long to wait. */
export function errorMessage(code: ErrorCode, details: Readonly<Record<string, unknown>> = {}): string {
  const { triesLeft, retryAfterSeconds: wait } = details;
  if (code === 'SMS_CODE_INVALID' && typeof triesLeft === 'number') return `验证码错误，还可尝试 ${triesLeft} 次`;
  if (code === 'SMS_RATE_LIMITED' && typeof wait === 'number') return `发送太频繁，请 ${wait} 秒后再试`;
  // In whole minutes: a lock lasts minutes, and "899 秒" reads as a countdown to watch.
  if (code === 'ACCOUNT_LOCKED' && typeof wait === 'number')
    return `尝试次数过多，请 ${Math.max(1, Math.ceil(wait / 60))} 分钟后再试`;
  return ERROR_MESSAGES[code];
}

/**
 * What a front end shows for a failed call: the message of a code a user can act on (with its
 * details), the network's for the client's NETWORK, `fallback` for anything else (a developer's code,
 * HTTP_502, a code from a URL). `serverMessage`: the BFF's own words, taken for the one code whose
 * words the operator configures (PHONE_NOT_REGISTERED), and only there.
 */
export function userMessage(
  code: string,
  {
    details = {},
    fallback = FAILED_MESSAGE,
    serverMessage,
  }: { details?: ErrorDetails; fallback?: string; serverMessage?: string } = {},
): string {
  if (code === 'PHONE_NOT_REGISTERED' && serverMessage?.trim()) return serverMessage.trim();
  if (code === 'NETWORK') return NETWORK_MESSAGE;
  return isUserErrorCode(code) ? errorMessage(code, details) : fallback;
}

/**
 * The Official Account's replies in the user's chat after a scan of a login QR that cannot go on (the
 * login itself is FOLLOW_LOGIN_REPLY_TEXT, the operator's words).
 */
export const FOLLOW_REPLIES = {
  /** The QR's login expired or is unknown: no login, ever. */
  expired: '这个登录二维码已过期，请在电脑上刷新二维码后重新扫码。',
  /** Someone else scanned this QR first. */
  taken: '这个登录二维码已被其他微信扫描，请在电脑上刷新二维码后重新扫码。',
  /** Too many scans from this WeChat user, or of this QR. */
  limited: '扫码太频繁，请稍后再试。',
  /** FOLLOW_LOGIN_CONFIRM=0: the scan signed the desktop in ({site}, {browser}, {os}, {time} filled in). */
  signedIn: '你已在电脑上登录 {site}（{browser}，{os}，{time}）。如果不是你本人操作，请立即联系我们。',
  /** The login was confirmed or cancelled already. */
  answered: '这次登录已确认或已取消。如需再次登录，请在电脑上刷新二维码。',
} as const;
