import type { SessionInfo } from '@wxauth/contract';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { sendSms } from '../api/account';

const getSession = vi.fn<() => Promise<SessionInfo | null>>();
vi.mock('../api/session', () => ({ getSession: () => getSession() }));
const getMeta = vi.fn(async () => ({ demo: false, websiteLogin: false, unionidBeforeBind: false }));
vi.mock('../api/auth', () => ({ getMeta: () => getMeta() }));
const { createAppRouter } = await import('../router');

const bound: SessionInfo = {
  bound: true,
  unionid: false,
  user: { phone: '138****8000', displayName: null, nickname: null, avatar: null },
};
const unbound: SessionInfo = {
  bound: false,
  unionid: false,
  user: { phone: null, displayName: null, nickname: null, avatar: null },
};

describe('router guard', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    getSession.mockReset();
  });

  const go = async (path: string) => {
    const router = createAppRouter();
    await router.push(path);
    return router;
  };

  it('sends a visitor without a session to /auth with the page to come back to', async () => {
    getSession.mockResolvedValue(null);
    const router = await go('/profile?tab=1');
    expect(router.currentRoute.value.name).toBe('auth');
    expect(router.currentRoute.value.query).toEqual({ returnTo: '/profile?tab=1', scope: 'snsapi_userinfo' });
  });

  it('shows the unavailable page, with the way back, when the session cannot be checked', async () => {
    getSession.mockRejectedValue(Object.assign(new Error('503'), { status: 503 }));
    const router = await go('/profile?tab=1');
    expect(router.currentRoute.value.name).toBe('unavailable');
    expect(router.currentRoute.value.query).toEqual({ returnTo: '/profile?tab=1' });
  });

  it('asks for snsapi_base unless the page wants a profile', async () => {
    getSession.mockResolvedValue(null);
    expect((await go('/')).currentRoute.value.query).toEqual({ returnTo: '/' });
  });

  it('sends an unbound user to /bind, and a bound one away from it', async () => {
    getSession.mockResolvedValue(unbound);
    expect((await go('/')).currentRoute.value.name).toBe('bind');
    setActivePinia(createPinia());
    getSession.mockResolvedValue(bound);
    expect((await go('/bind')).currentRoute.value.name).toBe('home');
  });

  it('the phone confirms a desktop login as the WeChat user it is, bound or not; a visitor signs in first', async () => {
    getSession.mockResolvedValue(unbound);
    expect((await go('/follow/confirm?login=ab')).currentRoute.value.name).toBe('follow-confirm');
    setActivePinia(createPinia());
    getSession.mockResolvedValue(null);
    const router = await go('/follow/confirm?login=ab');
    expect(router.currentRoute.value.name).toBe('auth');
    expect(router.currentRoute.value.query).toEqual({ returnTo: '/follow/confirm?login=ab' });
  });

  it('the desktop QR code page needs no session', async () => {
    getSession.mockResolvedValue(null);
    expect((await go('/follow-login?returnTo=/orders')).currentRoute.value.name).toBe('follow-login');
    expect(getSession).not.toHaveBeenCalled();
  });

  it('with a PC website app, a new user binds at once: the phone joins the accounts later', async () => {
    getMeta.mockResolvedValue({ demo: true, websiteLogin: true, unionidBeforeBind: false });
    getSession.mockResolvedValue(unbound);
    expect((await go('/')).currentRoute.value.fullPath).toBe('/bind');
    getMeta.mockResolvedValue({ demo: false, websiteLogin: false, unionidBeforeBind: false });
  });

  it('with WX_UNIONID_BEFORE_BIND, a new user passes snsapi_userinfo once before binding (for the unionid)', async () => {
    getMeta.mockResolvedValue({ demo: false, websiteLogin: true, unionidBeforeBind: true });
    getSession.mockResolvedValue(unbound);
    expect((await go('/')).currentRoute.value.query).toEqual({ returnTo: '/bind', scope: 'snsapi_userinfo' });
    setActivePinia(createPinia());
    getSession.mockResolvedValue({ ...unbound, unionid: true });
    expect((await go('/')).currentRoute.value.name).toBe('bind');
    setActivePinia(createPinia());
    getSession.mockResolvedValue(unbound);
    expect((await go('/bind?skipProfile=1')).currentRoute.value.name).toBe('bind');
    getMeta.mockResolvedValue({ demo: false, websiteLogin: false, unionidBeforeBind: false });
  });

  it('asks for the meta before the bind page shows (its tabs), whether or not there is a profile step', async () => {
    getMeta.mockClear();
    getSession.mockResolvedValue({ ...unbound, unionid: true });
    expect((await go('/')).currentRoute.value.name).toBe('bind');
    expect(getMeta).toHaveBeenCalledOnce();
  });

  it('lets the auth pages through without asking for the session', async () => {
    const router = await go('/open-in-wechat');
    expect(router.currentRoute.value.name).toBe('open-in-wechat');
    expect(getSession).not.toHaveBeenCalled();
  });

  it('a profile page without a nickname goes through snsapi_userinfo', async () => {
    getSession.mockResolvedValue(bound);
    expect((await go('/profile')).currentRoute.value.query).toEqual({ returnTo: '/profile', scope: 'snsapi_userinfo' });
  });

  it('a 401 from any call goes silently through /auth and back to the same page', async () => {
    getSession.mockResolvedValue(bound);
    const router = await go('/?x=1');
    expect(router.currentRoute.value.fullPath).toBe('/?x=1');
    getSession.mockResolvedValue(null);
    // The BFF answers a call 401 SESSION_REQUIRED: the client's hook is the router's.
    const expired = { error: { code: 'SESSION_REQUIRED', message: '请先登录' } };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(expired), { status: 401 }));
    await expect(sendSms('13800138000')).rejects.toMatchObject({ code: 'SESSION_REQUIRED' });
    vi.unstubAllGlobals();
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('auth'));
    expect(router.currentRoute.value.query).toEqual({ returnTo: '/?x=1' });
  });
});
