/** What the user reads for each BFF error code of the login, and whether trying again can help. */
export const AUTH_MESSAGES: Record<string, string> = {
  CODE_MISSING: '你已拒绝授权，登录需要你的授权。',
  STATE_INVALID: '登录请求已失效，请重新登录。',
  CODE_INVALID: '授权已失效，请重新登录。',
  CODE_USED: '授权已使用过，请重新登录。',
  CODE_EXPIRED: '授权已过期，请重新登录。',
  SNAPSHOT_USER: '请点击"使用完整服务"打开完整页面后再登录。',
  WECHAT_BUSY: '微信繁忙，请稍后重试。',
  WECHAT_TIMEOUT: '微信响应超时，请重试。',
  WECHAT_UNAVAILABLE: '暂时无法连接微信，请稍后重试。',
  WECHAT_UNREACHABLE: '暂时无法连接微信，请稍后重试。',
  RATE_LIMITED: '操作太频繁，请稍后再试。',
  SERVICE_UNAVAILABLE: '登录服务暂时不可用，请稍后重试。',
};

/** A refusal of the profile step before binding, which the user may skip: the login goes on without it. */
const REFUSED_SKIPPABLE = '你已拒绝授权。授权后，在电脑上用微信登录无需再绑定手机号；也可以跳过这一步。';

export const authMessage = (code: string, opts: { canSkip?: boolean } = {}) =>
  code === 'CODE_MISSING' && opts.canSkip ? REFUSED_SKIPPABLE : (AUTH_MESSAGES[code] ?? '登录失败，请重试。');
