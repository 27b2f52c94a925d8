import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { AuthorizeQuery, BindBody, HostEvent, LoginBody, SmsSendBody } from '../api.js';

/** What the BFF answers: the first failing rule's code, or the parsed value. */
function check<S extends v.GenericSchema>(schema: S, input: unknown): string | v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  return result.success ? result.output : result.issues[0].message;
}

const STATE = 'A'.repeat(32);

describe('LoginBody', () => {
  it.each([
    [{ code: 'C1' }, 'STATE_INVALID'],
    [{ code: 'C1', state: '' }, 'STATE_INVALID'],
    [{ code: 'C1', state: [STATE] }, 'STATE_INVALID'],
    [{ code: 'C1', state: `${STATE}!` }, 'STATE_INVALID'],
    [{ state: STATE }, 'CODE_MISSING'],
    [{ state: STATE, code: '' }, 'CODE_MISSING'],
    [{ state: STATE, code: 7 }, 'CODE_INVALID'],
    [{ state: STATE, code: 'a b' }, 'CODE_INVALID'],
    [{ state: STATE, code: 'x'.repeat(129) }, 'CODE_INVALID'],
  ])('%j → %s', (body, error) => {
    expect(check(LoginBody, body)).toBe(error);
  });

  it('passes a good one, and nothing else it was sent', () => {
    expect(check(LoginBody, { code: 'C1-_x', state: STATE, extra: 1 })).toEqual({ code: 'C1-_x', state: STATE });
  });
});

describe('phones and SMS codes', () => {
  it.each(['13800138000', '+8613800138000', ' 13800138000 '])('%j is a phone', (phone) => {
    expect(check(SmsSendBody, { phone })).toEqual({ phone: '13800138000' });
  });

  it.each(['12800138000', '1380013800', 13800138000, undefined, '+85213800138000'])('%j is not', (phone) => {
    expect(check(SmsSendBody, { phone })).toBe('PHONE_INVALID');
  });

  it('a bind needs the phone first, then a 6-digit code', () => {
    expect(check(BindBody, { phone: 'x', smsCode: '123456' })).toBe('PHONE_INVALID');
    expect(check(BindBody, { phone: '13800138000', smsCode: '12345' })).toBe('SMS_CODE_INVALID');
    expect(check(BindBody, { phone: '13800138000', smsCode: 123456 })).toBe('SMS_CODE_INVALID');
  });
});

describe('AuthorizeQuery', () => {
  it('defaults, and refuses what WeChat would not take', () => {
    expect(check(AuthorizeQuery, {})).toEqual({ scope: 'snsapi_base', platform: 'mp' });
    expect(check(AuthorizeQuery, { scope: 'snsapi_login' })).toBe('SCOPE_INVALID');
    expect(check(AuthorizeQuery, { scope: ['snsapi_base', 'snsapi_base'] })).toBe('SCOPE_INVALID');
    expect(check(AuthorizeQuery, { platform: 'pc' })).toBe('PLATFORM_INVALID');
  });
});

describe('HostEvent', () => {
  const event = { id: 'evt-1', type: 'customer.password_changed', data: { customerId: 'C-1001' } };
  it.each([
    [{}],
    [{ ...event, id: undefined }],
    [{ ...event, id: 1 }],
    [{ ...event, id: 'a b' }],
    [{ ...event, type: 'customer.deleted' }],
    [{ ...event, data: undefined }],
    [{ ...event, data: null }],
    [{ ...event, data: {} }],
    [{ ...event, data: { customerId: 1001 } }],
    [{ ...event, data: { customerId: 'x'.repeat(65) } }],
  ])('%j → EVENT_INVALID, whichever rule fails', (body) => {
    expect(check(HostEvent, body)).toBe('EVENT_INVALID');
  });

  it('passes a good one, and nothing else it was sent', () => {
    const revoke = { ...event, type: 'customer.revoke_wechat', at: 1, data: { customerId: 'C:1.0_x', by: 'ops' } };
    expect(check(HostEvent, revoke)).toEqual({
      id: 'evt-1',
      type: 'customer.revoke_wechat',
      data: { customerId: 'C:1.0_x' },
    });
  });
});
