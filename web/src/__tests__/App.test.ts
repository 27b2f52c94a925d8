import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { Meta } from '@wxauth/contract';

const SIM = 'http://localhost:8081';
const getMeta = vi.fn<() => Promise<Meta>>();
const logout = vi.fn(async () => undefined);
vi.mock('@/api/auth', () => ({ getMeta: () => getMeta(), logout: () => logout() }));
const { default: App } = await import('../App.vue');

async function mountApp() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/', component: { render: () => null } }],
  });
  await router.push('/');
  const wrapper = mount(App, { global: { plugins: [router] } });
  await flushPromises();
  return wrapper;
}

describe('the demo banner', () => {
  let assign: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    setActivePinia(createPinia());
    logout.mockClear();
    assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
  });
  afterEach(() => assign.mockRestore());

  it('换个新用户: signs out, then lets the simulator make this browser a new WeChat user and start again', async () => {
    getMeta.mockResolvedValue({
      demo: true,
      websiteLogin: true,
      unionidBeforeBind: false,
      bindMethods: ['sms'],
      simulator: SIM,
    });
    const wrapper = await mountApp();
    expect(wrapper.get('[role="status"]').text()).toContain('模拟微信');
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(logout).toHaveBeenCalledOnce();
    const next = `${window.location.origin}/auth`;
    expect(assign).toHaveBeenCalledWith(`${SIM}/__sim/new-user?next=${encodeURIComponent(next)}`);
  });

  it('is not there outside the demo', async () => {
    getMeta.mockResolvedValue({ demo: false, websiteLogin: true, unionidBeforeBind: false, bindMethods: ['sms'] });
    const wrapper = await mountApp();
    expect(wrapper.find('[role="status"]').exists()).toBe(false);
    expect(wrapper.find('button').exists()).toBe(false);
  });
});
