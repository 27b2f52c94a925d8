import { flushPromises, mount } from '@vue/test-utils';
import type { LoginResult, SessionInfo } from '@wxauth/contract';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { ApiError } from '../api/http';
import type { Callback } from '../callback';

let callback: Callback | null = null;
vi.mock('@/callback', () => ({ takeCallback: () => callback }));
const login = vi.fn<(code: string, state: string) => Promise<LoginResult>>();
const authorizeUrl = vi.fn((_p: { scope: string; returnTo: string; again?: string }) => '/api/auth/wechat/authorize');
vi.mock('@/api/auth', () => ({
  authorizeUrl: (p: { scope: string; returnTo: string; again?: string }) => authorizeUrl(p),
  login: (code: string, state: string) => login(code, state),
  getMeta: async () => ({ demo: false, websiteLogin: false, unionidBeforeBind: false }),
}));
const getSession = vi.fn<() => Promise<SessionInfo | null>>();
vi.mock('@/api/session', () => ({ getSession: () => getSession() }));
const { default: AuthView } = await import('../views/AuthView.vue');

const STATE = 'S'.repeat(32);
const signedIn: SessionInfo = {
  bound: true,
  unionid: false,
  user: { phone: '138****8000', displayName: null, nickname: null, avatar: null },
};

async function mountAuth() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/auth', component: AuthView }] });
  await router.push('/auth');
  const wrapper = mount(AuthView, { global: { plugins: [router] } });
  await flushPromises();
  return wrapper;
}

describe('the auth page after a refusal', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    sessionStorage.clear();
  });

  it('where the login needs the consent: says so, and offers only to try again', async () => {
    sessionStorage.setItem('wxauth.flow', JSON.stringify({ returnTo: '/profile', scope: 'snsapi_userinfo' }));
    callback = { code: null, state: STATE };
    const wrapper = await mountAuth();
    expect(wrapper.get('[role="alert"]').text()).toBe('你已拒绝授权，登录需要你的授权');
    expect(wrapper.find('a.skip').exists()).toBe(false);
  });

  it('before binding, where it may be skipped: does not claim the login needs it', async () => {
    sessionStorage.setItem('wxauth.flow', JSON.stringify({ returnTo: '/bind', scope: 'snsapi_userinfo' }));
    callback = { code: null, state: STATE };
    const wrapper = await mountAuth();
    const message = wrapper.get('[role="alert"]').text();
    expect(message).not.toContain('需要你的授权');
    expect(message).toContain('跳过');
    expect(wrapper.get('a.skip').text()).toBe('跳过，直接绑定手机号');
  });
});

describe('重新登录 after a refusal', () => {
  it("asks the BFF for the refused flow again: a deep link's returnTo and scope are known only there", async () => {
    setActivePinia(createPinia());
    sessionStorage.clear();
    const replace = vi.spyOn(window.location, 'replace').mockImplementation(() => undefined);
    Object.defineProperty(navigator, 'userAgent', { value: 'Mozilla/5.0 MicroMessenger/8.0', configurable: true });
    callback = { code: null, state: STATE };
    const wrapper = await mountAuth();
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(authorizeUrl).toHaveBeenLastCalledWith({ scope: 'snsapi_base', returnTo: '/', again: STATE });
    expect(replace).toHaveBeenCalledWith('/api/auth/wechat/authorize');
    replace.mockRestore();
  });
});

describe("the auth page for a signed-in user, from WeChat's consent page again (Back after the login)", () => {
  let replace: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    setActivePinia(createPinia());
    sessionStorage.clear();
    login.mockReset();
    getSession.mockReset();
    replace = vi.spyOn(window.location, 'replace').mockImplementation(() => undefined);
  });
  afterEach(() => replace.mockRestore());

  it('remembers each login it finished, and a refusal of that state again goes where it went', async () => {
    login.mockResolvedValue({ next: 'home', returnTo: '/profile' });
    callback = { code: 'C0DE', state: STATE };
    await mountAuth();
    expect(replace).toHaveBeenLastCalledWith('/profile');

    getSession.mockResolvedValue(signedIn);
    callback = { code: null, state: STATE };
    const wrapper = await mountAuth();
    expect(replace).toHaveBeenCalledTimes(2);
    expect(replace).toHaveBeenLastCalledWith('/profile');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('an unbound user goes to the bind page, except to a page for unbound users too (the confirm of a desktop login)', async () => {
    login.mockResolvedValue({ next: 'bind', returnTo: '/profile' });
    callback = { code: 'C0DE', state: STATE };
    await mountAuth();
    expect(replace).toHaveBeenLastCalledWith('/bind');
    login.mockResolvedValue({ next: 'bind', returnTo: '/follow/confirm?login=ab' });
    callback = { code: 'C0DE', state: 'T'.repeat(32) };
    await mountAuth();
    expect(replace).toHaveBeenLastCalledWith('/follow/confirm?login=ab');
  });

  it('a stale state the BFF refuses (STATE_INVALID) takes a signed-in user home, not to an error', async () => {
    login.mockRejectedValue(new ApiError(400, 'STATE_INVALID', '登录请求已失效'));
    getSession.mockResolvedValue(signedIn);
    callback = { code: 'C0DE', state: STATE };
    const wrapper = await mountAuth();
    expect(replace).toHaveBeenCalledWith('/');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('but without a session, the stale state is an error to retry', async () => {
    login.mockRejectedValue(new ApiError(400, 'STATE_INVALID', '登录请求已失效'));
    getSession.mockResolvedValue(null);
    callback = { code: 'C0DE', state: STATE };
    const wrapper = await mountAuth();
    expect(replace).not.toHaveBeenCalled();
    expect(wrapper.get('[role="alert"]').text()).toBe('登录请求已失效，请重新登录');
  });
});
