import type { SessionInfo } from '@wxauth/contract';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/http';

const api = vi.hoisted(() => ({
  getSession: vi.fn(),
  login: vi.fn(),
  logout: vi.fn(),
  bindPhone: vi.fn(),
  bindPassword: vi.fn(),
  unbindPhone: vi.fn(),
}));
vi.mock('@/api/session', () => ({ getSession: api.getSession }));
vi.mock('@/api/auth', () => ({ login: api.login, logout: api.logout }));
vi.mock('@/api/account', () => ({
  bindPhone: api.bindPhone,
  bindPassword: api.bindPassword,
  unbindPhone: api.unbindPhone,
}));
const { useSessionStore } = await import('../stores/session');

const bound: SessionInfo = {
  bound: true,
  unionid: false,
  user: { phone: '138****8000', displayName: null, nickname: null, avatar: null },
};

/** A store that has loaded the session once; the BFF is asked again only after it forgot it. */
async function signedIn() {
  api.getSession.mockResolvedValue(bound);
  const session = useSessionStore();
  await session.load();
  api.getSession.mockClear();
  return session;
}

async function forgotten(session: ReturnType<typeof useSessionStore>) {
  expect([session.info, session.loaded]).toEqual([null, false]);
  await session.load();
  expect(api.getSession).toHaveBeenCalledOnce();
}

describe('the session store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    for (const fn of Object.values(api)) fn.mockReset();
  });

  it('asks the BFF who is signed in once, and again when forced', async () => {
    const session = await signedIn();
    expect(await session.load()).toEqual(bound);
    expect(api.getSession).not.toHaveBeenCalled();
    await session.load(true);
    expect(api.getSession).toHaveBeenCalledOnce();
  });

  it('login: finishes the authorization with code and state, answers where to go, and forgets the old session', async () => {
    const session = await signedIn();
    api.login.mockResolvedValue({ next: 'bind', returnTo: '/orders' });
    expect(await session.login('C0DE', 'S'.repeat(32))).toEqual({ next: 'bind', returnTo: '/orders' });
    expect(api.login).toHaveBeenCalledWith('C0DE', 'S'.repeat(32));
    await forgotten(session);
  });

  it('bind: binds the phone with the SMS code, answers where to go, and forgets the unbound session', async () => {
    const session = await signedIn();
    api.bindPhone.mockResolvedValue({ next: 'home', returnTo: '/' });
    expect(await session.bind('13800138000', '123456')).toEqual({ next: 'home', returnTo: '/' });
    expect(api.bindPhone).toHaveBeenCalledWith('13800138000', '123456');
    await forgotten(session);
  });

  it('a refused bind or unbind changes nothing: the error reaches the page, the session stays', async () => {
    const session = await signedIn();
    api.bindPhone.mockRejectedValue(new ApiError(400, 'SMS_CODE_INVALID', '验证码错误', { triesLeft: 4 }));
    await expect(session.bind('13800138000', '000000')).rejects.toMatchObject({ code: 'SMS_CODE_INVALID' });
    api.unbindPhone.mockRejectedValue(new ApiError(409, 'NOT_BOUND', '尚未绑定手机号'));
    await expect(session.unbind()).rejects.toMatchObject({ code: 'NOT_BOUND' });
    expect([session.info, session.loaded]).toEqual([bound, true]);
  });

  it('unbind: unbinds and forgets the session', async () => {
    const session = await signedIn();
    api.unbindPhone.mockResolvedValue(undefined);
    await session.unbind();
    expect(api.unbindPhone).toHaveBeenCalledOnce();
    await forgotten(session);
  });

  it('logout: signs out and forgets the session, even when the BFF cannot be told', async () => {
    const session = await signedIn();
    api.logout.mockRejectedValue(new ApiError(0, 'NETWORK', '网络异常'));
    await session.logout();
    expect(api.logout).toHaveBeenCalledOnce();
    await forgotten(session);
  });

  it('bindWithPassword: binds by the host account and forgets the session; a refusal keeps it', async () => {
    const session = await signedIn();
    api.bindPassword.mockRejectedValueOnce(new ApiError(401, 'CREDENTIALS_INVALID', '账号或密码错误'));
    await expect(session.bindWithPassword('zhangsan', 'wrong')).rejects.toMatchObject({ code: 'CREDENTIALS_INVALID' });
    expect(session.info).toEqual(bound);
    api.bindPassword.mockResolvedValueOnce({ next: 'home', returnTo: '/' });
    expect(await session.bindWithPassword('zhangsan', 'right')).toEqual({ next: 'home', returnTo: '/' });
    expect(api.bindPassword).toHaveBeenLastCalledWith('zhangsan', 'right');
    await forgotten(session);
  });

  it('expire: a 401 elsewhere forgets the session without a call', async () => {
    const session = await signedIn();
    session.expire();
    expect(api.logout).not.toHaveBeenCalled();
    await forgotten(session);
  });
});
