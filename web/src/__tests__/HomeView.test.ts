import { createTestingPinia } from '@pinia/testing';
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { ApiError } from '../api/http';
import { useSessionStore } from '../stores/session';

const confirm = vi.fn<() => Promise<unknown>>();
vi.mock('vant', async (importOriginal) => ({ ...(await importOriginal()), showConfirmDialog: () => confirm() }));
const { default: HomeView } = await import('../views/HomeView.vue');

async function mountHome(user: Record<string, string | null> = { phone: '138****8000' }) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: HomeView },
      { path: '/open-in-wechat', name: 'open-in-wechat', component: { render: () => null } },
    ],
  });
  await router.push('/');
  const pinia = createTestingPinia({
    createSpy: vi.fn,
    initialState: {
      session: { loaded: true, info: { bound: true, unionid: false, user } },
    },
  });
  const wrapper = mount(HomeView, { global: { plugins: [router, pinia] } });
  const session = useSessionStore();
  const click = async (name: string) => {
    await wrapper
      .findAll('button')
      .find((b) => b.text() === name)!
      .trigger('click');
    await flushPromises();
  };
  return { wrapper, router, session, click };
}

describe('the home page', () => {
  it('退出登录 signs out through the session store and says so', async () => {
    const { router, session, click } = await mountHome();
    await click('退出登录');
    expect(session.logout).toHaveBeenCalledOnce();
    expect(router.currentRoute.value.fullPath).toBe('/open-in-wechat?signedOut=1');
  });

  it('解绑手机号 asks first, then unbinds through the session store', async () => {
    const { router, session, click } = await mountHome();
    confirm.mockRejectedValueOnce('cancel');
    await click('解绑手机号');
    expect(session.unbind).not.toHaveBeenCalled();
    confirm.mockResolvedValueOnce('confirm');
    await click('解绑手机号');
    expect(session.unbind).toHaveBeenCalledOnce();
    expect(router.currentRoute.value.fullPath).toBe('/open-in-wechat?signedOut=1');
  });

  it('a refused unbind stays on the page with the reason', async () => {
    const { wrapper, router, session, click } = await mountHome();
    vi.mocked(session.unbind).mockRejectedValueOnce(new ApiError(409, 'NOT_BOUND', '尚未绑定手机号'));
    confirm.mockResolvedValueOnce('confirm');
    await click('解绑手机号');
    expect(wrapper.get('[role="alert"]').text()).toBe('尚未绑定手机号');
    expect(router.currentRoute.value.fullPath).toBe('/');
  });

  it("shows the host system's name for the customer, and the masked phone", async () => {
    const { wrapper } = await mountHome({ phone: '138****8000', displayName: '张三（上海分公司）' });
    const cells = wrapper.findAll('.van-cell').map((c) => c.text());
    expect(cells).toContain('账户张三（上海分公司）');
    expect(cells).toContain('手机号138****8000');
  });

  it('a customer bound by account and password: no phone row, and 解除绑定 rather than 解绑手机号', async () => {
    const { wrapper, session, click } = await mountHome({ phone: null, displayName: '李四' });
    expect(wrapper.text()).not.toContain('手机号');
    confirm.mockResolvedValueOnce('confirm');
    await click('解除绑定');
    expect(session.unbind).toHaveBeenCalledOnce();
  });
});
