import type { OidcConsent } from '@wxauth/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { ApiError } from '../api/http';

const getConsent = vi.fn<(uid: string) => Promise<OidcConsent>>();
const answerConsent = vi.fn<(uid: string, approve: boolean) => Promise<{ returnTo: string }>>();
vi.mock('@/api/oidc', () => ({
  getConsent: (uid: string) => getConsent(uid),
  answerConsent: (uid: string, approve: boolean) => answerConsent(uid, approve),
}));
const { default: AuthorizeAppView } = await import('../views/AuthorizeAppView.vue');

async function mountAt(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/authorize-app', component: AuthorizeAppView }],
  });
  await router.push(path);
  const wrapper = mount(AuthorizeAppView, { global: { plugins: [router] } });
  await flushPromises();
  const click = async (name: string) => {
    await wrapper
      .findAll('button')
      .find((b) => b.text() === name)!
      .trigger('click');
    await flushPromises();
  };
  return { wrapper, click };
}

describe('the consent page', () => {
  const assign = vi.fn();
  beforeEach(() => {
    getConsent.mockReset();
    answerConsent.mockReset();
    assign.mockReset();
    vi.stubGlobal('location', { ...window.location, assign });
  });

  it('shows the app and what it asks, in Chinese; 同意 answers yes and follows the way back', async () => {
    getConsent.mockResolvedValue({
      client: { id: 'partner', name: 'Partner 商城' },
      scopes: ['openid', 'phone', 'profile', 'wechat', 'custom'],
    });
    answerConsent.mockResolvedValue({ returnTo: 'https://h5.example.com/oidc/auth/u1' });
    const { wrapper, click } = await mountAt('/authorize-app?uid=u1');
    expect(getConsent).toHaveBeenCalledWith('u1');
    expect(wrapper.find('h1').text()).toBe('Partner 商城 申请使用你的账号登录');
    const text = wrapper.text();
    for (const label of ['手机号', '微信昵称和头像', '微信身份', 'custom']) expect(text).toContain(label);
    await click('同意');
    expect(answerConsent).toHaveBeenCalledWith('u1', true);
    expect(assign).toHaveBeenCalledWith('https://h5.example.com/oidc/auth/u1');
  });

  it('拒绝 answers no; an expired login says to start again from the app', async () => {
    getConsent.mockResolvedValue({ client: { id: 'partner', name: null }, scopes: ['openid'] });
    answerConsent.mockRejectedValueOnce(new ApiError(404, 'NOT_FOUND', 'x'));
    const { wrapper, click } = await mountAt('/authorize-app?uid=u2');
    expect(wrapper.find('h1').text()).toBe('partner 申请使用你的账号登录');
    await click('拒绝');
    expect(answerConsent).toHaveBeenCalledWith('u2', false);
    expect(wrapper.find('[role="alert"]').text()).toBe('这次登录已过期，请回到原来的应用重新登录');
    expect(assign).not.toHaveBeenCalled();
  });

  it('without an interaction: no buttons, the reason', async () => {
    const { wrapper } = await mountAt('/authorize-app');
    expect(getConsent).not.toHaveBeenCalled();
    expect(wrapper.findAll('button')).toHaveLength(0);
    expect(wrapper.find('[role="alert"]').text()).toContain('重新登录');
  });
});
