/** What the user reads for each BFF error code on the bind and home pages. */
const MESSAGES: Record<string, string> = {
  PHONE_INVALID: '请输入正确的手机号',
  SMS_RATE_LIMITED: '发送太频繁，请稍后再试',
  SMS_CODE_INVALID: '验证码错误',
  SMS_CODE_EXHAUSTED: '验证码错误次数过多，请重新获取',
  SMS_CODE_EXPIRED: '验证码已失效，请重新获取',
  SMS_SEND_FAILED: '短信发送失败，请稍后重试',
  ALREADY_BOUND: '已绑定手机号',
  NOT_BOUND: '尚未绑定手机号',
  NETWORK: '网络异常，请检查网络后重试',
};

export function accountMessage(code: string, details: Record<string, unknown> = {}): string {
  if (code === 'SMS_CODE_INVALID' && typeof details.triesLeft === 'number')
    return `验证码错误，还可尝试 ${details.triesLeft} 次`;
  return MESSAGES[code] ?? '操作失败，请稍后重试';
}

export const PHONE_PATTERN = /^(?:\+86)?1[3-9]\d{9}$/;
export const SMS_CODE_PATTERN = /^\d{6}$/;
