import { createTestingPinia } from '@pinia/testing';
import type { BindMethod } from '@wxauth/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory, createRouter } from 'vue-router';
import { ApiError } from '../api/http';

const getMeta = vi.fn();
vi.mock('@/api/account', () => ({ sendSms: vi.fn(), bindPhone: vi.fn(), bindPassword: vi.fn() }));
vi.mock('@/api/auth', () => ({ getMeta: () => getMeta() }));
const { default: BindPhoneView } = await import('../views/BindPhoneView.vue');
const { useSessionStore } = await import('../stores/session');

async function mountView(bindMethods: BindMethod[]) {
  getMeta.mockResolvedValue({ demo: false, websiteLogin: false, unionidBeforeBind: false, bindMethods });
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/bind', component: BindPhoneView },
      { path: '/:page', component: { render: () => null } },
    ],
  });
  await router.push('/bind');
  const pinia = createTestingPinia({ createSpy: vi.fn, stubActions: (_action, store) => store.$id === 'session' });
  const wrapper = mount(BindPhoneView, { global: { plugins: [router, pinia] }, attachTo: document.body });
  await flushPromises();
  const session = useSessionStore();
  const tabs = () => wrapper.findAll('[role="tab"]').map((t) => t.text());
  const selected = () => wrapper.get('[role="tab"][aria-selected="true"]').text();
  const alert = () =>
    wrapper
      .findAll('[role="alert"]')
      .map((a) => a.text())
      .filter(Boolean);
  const submit = async () => {
    await wrapper.get('form.password-bind').trigger('submit');
    await flushPromises();
  };
  return { wrapper, router, session, tabs, selected, alert, submit };
}

describe('the bind page, 账号密码登录', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('has a tab per way the BFF offers, in its order, the first one open', async () => {
    const both = await mountView(['sms', 'password']);
    expect(both.tabs()).toEqual(['短信验证码登录', '账号密码登录']);
    expect(both.selected()).toBe('短信验证码登录');
    expect(both.wrapper.find('input[name="phone"]').exists()).toBe(true);
    both.wrapper.unmount();

    const passwordFirst = await mountView(['password', 'sms']);
    expect(passwordFirst.tabs()).toEqual(['账号密码登录', '短信验证码登录']);
    expect(passwordFirst.wrapper.get('input[name="account"]').isVisible()).toBe(true);
    passwordFirst.wrapper.unmount();
  });

  it('with one way only there are no tabs: SMS alone, or the password form alone', async () => {
    const sms = await mountView(['sms']);
    expect(sms.tabs()).toEqual([]);
    expect(sms.wrapper.get('h1').text()).toBe('绑定手机号');
    expect(sms.wrapper.find('input[name="account"]').exists()).toBe(false);
    sms.wrapper.unmount();

    const password = await mountView(['password']);
    expect(password.tabs()).toEqual([]);
    expect(password.wrapper.get('h1').text()).toBe('绑定账号');
    expect(password.wrapper.find('input[name="phone"]').exists()).toBe(false);
    expect(password.wrapper.get('input[name="account"]').attributes('autocomplete')).toBe('username');
    expect(password.wrapper.get('input[name="password"]').attributes('autocomplete')).toBe('current-password');
  });

  it('the fields have labels; the arrow keys move between the tabs', async () => {
    const { wrapper, selected } = await mountView(['sms', 'password']);
    await wrapper.get('[role="tab"][aria-selected="true"]').trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(selected()).toBe('账号密码登录');
    expect(document.activeElement?.textContent).toBe('账号密码登录');
    // (Vant's ids are the same for every field under test, NODE_ENV=test: the label is looked for beside its input.)
    for (const name of ['account', 'password']) {
      const input = wrapper.get(`input[name="${name}"]`);
      const label = input.element.closest('.van-field')!.querySelector('label')!;
      expect(label.textContent).toBe(name === 'account' ? '账号' : '密码');
      expect([label.id, label.getAttribute('for')]).toEqual([
        input.attributes('aria-labelledby'),
        input.attributes('id'),
      ]);
    }
    await wrapper.get('[role="tab"][aria-selected="true"]').trigger('keydown', { key: 'ArrowRight' });
    expect(selected()).toBe('短信验证码登录');
  });

  it('an empty field is said in the live region, nothing is sent, and focus goes to the field', async () => {
    const { wrapper, session, alert, submit } = await mountView(['password']);
    await submit();
    expect(alert()).toEqual(['请输入账号和密码']);
    expect(document.activeElement?.getAttribute('name')).toBe('account');
    // Filling a field in takes it out of the message at once.
    await wrapper.get('input[name="account"]').setValue('zhangsan');
    expect(alert()).toEqual(['请输入密码']);
    await submit();
    expect(alert()).toEqual(['请输入密码']);
    expect(document.activeElement?.getAttribute('name')).toBe('password');
    await wrapper.get('input[name="password"]').setValue('x');
    expect(alert()).toEqual([]);
    expect(session.bindWithPassword).not.toHaveBeenCalled();
  });

  it('binds through the session store, then goes where the BFF says, as the SMS binding does', async () => {
    const { wrapper, router, session, submit } = await mountView(['sms', 'password']);
    await wrapper.findAll('[role="tab"]')[1]!.trigger('click');
    await flushPromises();
    vi.mocked(session.bindWithPassword).mockResolvedValue({ next: 'home', returnTo: '/orders' });
    await wrapper.get('input[name="account"]').setValue(' zhangsan ');
    await wrapper.get('input[name="password"]').setValue(' secret 1 ');
    await submit();
    expect(session.bindWithPassword).toHaveBeenCalledWith('zhangsan', ' secret 1 ');
    expect(router.currentRoute.value.fullPath).toBe('/orders');
  });

  it('the button is disabled while the answer is awaited; one generic error; the lock says how long', async () => {
    const { wrapper, session, alert, submit } = await mountView(['password']);
    let fail!: (e: unknown) => void;
    vi.mocked(session.bindWithPassword).mockReturnValueOnce(new Promise((_, reject) => (fail = reject)));
    await wrapper.get('input[name="account"]').setValue('zhangsan');
    await wrapper.get('input[name="password"]').setValue('wrong');
    await submit();
    const button = () => wrapper.get('button[type="submit"]');
    expect(button().attributes('disabled')).toBeDefined();
    await submit();
    expect(session.bindWithPassword).toHaveBeenCalledTimes(1);
    fail(new ApiError(401, 'CREDENTIALS_INVALID', '账号或密码错误'));
    await flushPromises();
    expect(alert()).toEqual(['账号或密码错误']);
    expect(button().attributes('disabled')).toBeUndefined();

    vi.mocked(session.bindWithPassword).mockRejectedValueOnce(
      new ApiError(429, 'ACCOUNT_LOCKED', '尝试次数过多，请稍后再试', { retryAfterSeconds: 841 }),
    );
    await submit();
    expect(alert()).toEqual(['尝试次数过多，请 15 分钟后再试']);

    vi.mocked(session.bindWithPassword).mockRejectedValueOnce(
      new ApiError(503, 'DIRECTORY_UNAVAILABLE', '账号服务暂时不可用，请稍后重试'),
    );
    await submit();
    expect(alert()).toEqual(['账号服务暂时不可用，请稍后重试']);
  });

  it('显示 shows the password as text, 隐藏 hides it again', async () => {
    const { wrapper } = await mountView(['password']);
    const input = () => wrapper.get('input[name="password"]');
    expect(input().attributes('type')).toBe('password');
    await wrapper.get('button[aria-label="显示密码"]').trigger('click');
    expect(input().attributes('type')).toBe('text');
    await wrapper.get('button[aria-label="隐藏密码"]').trigger('click');
    expect(input().attributes('type')).toBe('password');
  });
});

describe('the bind page, 短信验证码, with the host directory', () => {
  it("an unknown phone reads the operator's message; the directory down reads so, and the code can be used again", async () => {
    const { wrapper, session, alert } = await mountView(['sms']);
    await wrapper.get('input[name="phone"]').setValue('13800138000');
    await wrapper.get('input[name="smsCode"]').setValue('123456');
    vi.mocked(session.bind).mockRejectedValueOnce(
      new ApiError(403, 'PHONE_NOT_REGISTERED', '请先到门店开通会员，再来绑定'),
    );
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(alert()).toEqual(['请先到门店开通会员，再来绑定']);

    vi.mocked(session.bind).mockRejectedValueOnce(
      new ApiError(503, 'DIRECTORY_UNAVAILABLE', '账号服务暂时不可用，请稍后重试'),
    );
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(alert()).toEqual(['账号服务暂时不可用，请稍后重试']);
    expect(wrapper.get<HTMLInputElement>('input[name="smsCode"]').element.value).toBe('123456');
  });
});
