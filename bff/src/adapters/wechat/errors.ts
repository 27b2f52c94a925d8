import type { ErrorCode } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';

/** A failure talking to WeChat. `errcode` is WeChat's own, when it answered with one. */
export class WechatError extends AppError {
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    readonly endpoint: string,
    readonly errcode?: number,
    /** Whether asking again could succeed (busy, 5xx, network). */
    readonly transient = false,
    /** The request never reached WeChat (connection refused): safe to repeat even for a code exchange. */
    readonly notSent = false,
  ) {
    super(status, code, message, errcode === undefined ? {} : { errcode }, status < 500 || code === 'WECHAT_BUSY');
    this.name = 'WechatError';
  }
}

const PHONE_NUMBER = '/wxa/business/getuserphonenumber';

/** The one place WeChat's errcodes become our codes. */
export function fromErrcode(endpoint: string, errcode: number): WechatError {
  const e = (status: number, code: ErrorCode, message: string, transient = false) =>
    new WechatError(status, code, message, endpoint, errcode, transient);
  if (endpoint === PHONE_NUMBER) {
    // getPhoneNumber's own: a code that is bad, spent, late, another user's or another mini program's.
    if (errcode === 40029 || errcode === 40163 || errcode === 40013)
      return e(400, 'PHONE_CODE_INVALID', '手机号授权已失效，请重新点击获取');
  }
  switch (errcode) {
    case -1:
      return e(503, 'WECHAT_BUSY', '微信繁忙，请稍后重试', true);
    case 40029:
      return e(400, 'CODE_INVALID', '授权码无效，请重新进入');
    case 40163:
      return e(400, 'CODE_USED', '授权码已被使用，请重新进入');
    case 42003:
      return e(400, 'CODE_EXPIRED', '授权码已过期，请重新进入');
    case 41008:
      return e(400, 'CODE_MISSING', '缺少授权码，请重新进入');
    // code2Session: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
    case 40226:
      return e(403, 'WECHAT_RISKY_USER', '微信判断当前账号存在风险，暂时无法登录');
    case 45011:
      return e(429, 'WECHAT_RATE_LIMITED', '操作太频繁，请一分钟后再试');
    case 40001:
      return e(502, 'WECHAT_TOKEN_INVALID', 'access_token 无效');
    case 42001:
      return e(502, 'WECHAT_TOKEN_EXPIRED', 'access_token 已过期');
    case 40030:
    case 42002:
      return e(502, 'WECHAT_REFRESH_TOKEN_INVALID', 'refresh_token 无效或已过期');
    case 48001:
      return e(502, 'WECHAT_SCOPE_DENIED', '未获得该接口的授权');
    case 40013:
    case 40125:
    case 40002:
    case 40164:
      // The appid, secret or server IP allowlist is wrong: an operator's problem, never the user's.
      return e(500, 'WECHAT_MISCONFIGURED', `WeChat refused our credentials (errcode ${errcode})`);
    default:
      return e(502, 'WECHAT_ERROR', `微信返回错误 ${errcode}`);
  }
}

/** The calls that send our secret: on them 40001 "invalid credential" means the secret, not an access_token. */
const SENDS_SECRET = new Set(['/cgi-bin/token', '/cgi-bin/stable_token', '/sns/oauth2/access_token']);

/**
 * Which of our credentials WeChat refused, when the errcode says (the ones fromErrcode maps to
 * WECHAT_MISCONFIGURED, and 40001 where the secret was sent): what an operator must fix.
 */
export function refusedCredential(e: WechatError): 'appid' | 'secret' | 'ip' | undefined {
  switch (e.errcode) {
    case 40013:
      return 'appid';
    case 40125:
      return 'secret';
    case 40001:
      return SENDS_SECRET.has(e.endpoint) ? 'secret' : undefined;
    case 40164:
      return 'ip';
    default:
      return undefined;
  }
}

export const timeoutError = (endpoint: string) =>
  new WechatError(504, 'WECHAT_TIMEOUT', '微信响应超时，请重试', endpoint, undefined, true);
export const unreachableError = (endpoint: string, notSent = false) =>
  new WechatError(502, 'WECHAT_UNREACHABLE', '无法连接微信，请重试', endpoint, undefined, true, notSent);
export const badStatusError = (endpoint: string, status: number) =>
  new WechatError(502, 'WECHAT_UNAVAILABLE', `微信服务暂不可用 (HTTP ${status})`, endpoint, undefined, status >= 500);
export const badReplyError = (endpoint: string) =>
  new WechatError(502, 'WECHAT_BAD_REPLY', '微信返回了无法识别的内容', endpoint);
