import { ERROR_MESSAGES } from '@wxauth/contract';
import { describe, expect, it } from 'vitest';
import { accountMessage } from '../messages/account';
import { authMessage } from '../messages/auth';

describe('the messages the user reads', () => {
  it("on the auth page: the contract's words for a user's code, LOGIN_FAILED's for any other string", () => {
    expect(authMessage('STATE_INVALID')).toBe('登录请求已失效，请重新登录');
    expect(authMessage('CODE_MISSING')).toBe(ERROR_MESSAGES.CODE_MISSING);
    expect(authMessage('CODE_MISSING', { canSkip: true })).toContain('也可以跳过这一步');
    expect(authMessage('NETWORK')).toBe('网络异常，请检查网络后重试');
    for (const code of ['LOGIN_FAILED', 'SCOPE_INVALID', 'HTTP_502', 'toString', 'nonsense'])
      expect(authMessage(code)).toBe('登录失败，请重试');
  });

  it("on the bind and home pages: the contract's words and what the details add, the network's, the generic one", () => {
    expect(accountMessage('SMS_CODE_INVALID', { triesLeft: 4 })).toBe('验证码错误，还可尝试 4 次');
    expect(accountMessage('SMS_CODE_INVALID')).toBe('请输入 6 位数字验证码');
    expect(accountMessage('ACCOUNT_LOCKED', { retryAfterSeconds: 900 })).toBe('尝试次数过多，请 15 分钟后再试');
    expect(accountMessage('NETWORK')).toBe('网络异常，请检查网络后重试');
    for (const code of ['HTTP_502', 'BAD_JSON'] as const) expect(accountMessage(code)).toBe('操作失败，请稍后重试');
  });

  it('the unknown phone as the operator wrote it, and only that code', () => {
    expect(accountMessage('PHONE_NOT_REGISTERED', {}, '请先到门店开通会员')).toBe('请先到门店开通会员');
    expect(accountMessage('PHONE_NOT_REGISTERED', {}, ' ')).toBe(ERROR_MESSAGES.PHONE_NOT_REGISTERED);
    expect(accountMessage('CREDENTIALS_INVALID', {}, 'anything the server says')).toBe('账号或密码错误');
  });
});
