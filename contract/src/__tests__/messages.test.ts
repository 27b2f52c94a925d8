import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import {
  ERROR_MESSAGES,
  errorMessage,
  FAILED_MESSAGE,
  NETWORK_MESSAGE,
  isUserErrorCode,
  userMessage,
} from '../messages.js';

describe('the messages owned with the error codes', () => {
  it('has one for every code, and none for a code that is not', () => {
    for (const code of ERROR_CODES) expect(ERROR_MESSAGES[code], code).toMatch(/\S/);
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual([...ERROR_CODES].sort());
  });

  it("says a user's in Chinese, with no technical word in Latin letters", () => {
    const users = ERROR_CODES.filter(isUserErrorCode);
    expect(users.length).toBeGreaterThan(20);
    for (const code of users) expect(ERROR_MESSAGES[code], code).toMatch(/^[^A-Za-z]*\p{Script=Han}[^A-Za-z]*$/u);
  });

  it('adds what the details say: tries left, seconds to wait, whole minutes of a lock', () => {
    expect(errorMessage('SMS_CODE_INVALID')).toBe('请输入 6 位数字验证码');
    expect(errorMessage('SMS_CODE_INVALID', { triesLeft: 4 })).toBe('验证码错误，还可尝试 4 次');
    expect(errorMessage('SMS_RATE_LIMITED', { retryAfterSeconds: 42 })).toBe('发送太频繁，请 42 秒后再试');
    expect(errorMessage('ACCOUNT_LOCKED', { retryAfterSeconds: 900 })).toBe('尝试次数过多，请 15 分钟后再试');
    expect(errorMessage('ACCOUNT_LOCKED', { retryAfterSeconds: 61 })).toBe('尝试次数过多，请 2 分钟后再试');
    expect(errorMessage('ACCOUNT_LOCKED', { retryAfterSeconds: 5 })).toBe('尝试次数过多，请 1 分钟后再试');
    expect(errorMessage('ACCOUNT_LOCKED')).toBe('尝试次数过多，请稍后再试');
    expect(errorMessage('BAD_JSON', { retryAfterSeconds: 5 })).toBe('请求体不是合法的 JSON');
  });

  it("a front end's: a user's code as it reads, the network's, the fallback for anything else", () => {
    expect(userMessage('STATE_INVALID')).toBe('登录请求已失效，请重新登录');
    expect(userMessage('SMS_CODE_INVALID', { details: { triesLeft: 2 } })).toBe('验证码错误，还可尝试 2 次');
    expect(userMessage('NETWORK')).toBe(NETWORK_MESSAGE);
    for (const code of ['HTTP_502', 'BAD_JSON', 'UNAUTHORIZED', 'toString', '__proto__', 'nonsense'])
      expect(userMessage(code)).toBe(FAILED_MESSAGE);
    expect(userMessage('SCOPE_INVALID', { fallback: '登录失败，请重试' })).toBe('登录失败，请重试');
  });

  it("the unknown phone as the operator wrote it, and only that code's server words", () => {
    expect(userMessage('PHONE_NOT_REGISTERED', { serverMessage: ' 请先到门店开通会员 ' })).toBe('请先到门店开通会员');
    expect(userMessage('PHONE_NOT_REGISTERED', { serverMessage: ' ' })).toBe(ERROR_MESSAGES.PHONE_NOT_REGISTERED);
    expect(userMessage('CREDENTIALS_INVALID', { serverMessage: 'anything the server says' })).toBe('账号或密码错误');
  });
});
