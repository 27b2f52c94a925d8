import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { Callback } from '../composables/callback';

let callback: Callback | null = null;
vi.mock('@/composables/callback', () => ({ takeCallback: () => callback }));
vi.mock('@/api/auth', () => ({
  authorizeUrl: () => '/api/auth/wechat/authorize',
  login: vi.fn(),
  getMeta: async () => ({ demo: false, websiteLogin: false }),
}));
const { default: AuthView } = await import('../views/AuthView.vue');

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
    callback = { code: null, state: 'S'.repeat(32) };
    const wrapper = await mountAuth();
    expect(wrapper.get('[role="alert"]').text()).toBe('你已拒绝授权，登录需要你的授权。');
    expect(wrapper.find('a.skip').exists()).toBe(false);
  });

  it('before binding, where it may be skipped: does not claim the login needs it', async () => {
    sessionStorage.setItem('wxauth.flow', JSON.stringify({ returnTo: '/bind', scope: 'snsapi_userinfo' }));
    callback = { code: null, state: 'S'.repeat(32) };
    const wrapper = await mountAuth();
    const message = wrapper.get('[role="alert"]').text();
    expect(message).not.toContain('需要你的授权');
    expect(message).toContain('跳过');
    expect(wrapper.get('a.skip').text()).toBe('跳过，直接绑定手机号');
  });
});
