import { createTestingPinia } from '@pinia/testing';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Plugin } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';

const sendSms = vi.fn(async () => ({ cooldownSeconds: 60 }));
vi.mock('@/api/account', () => ({ sendSms: () => sendSms(), bindPhone: vi.fn() }));
vi.mock('@/api/auth', () => ({ getMeta: async () => ({ demo: false, websiteLogin: false }) }));
const { default: BindPhoneView } = await import('../views/BindPhoneView.vue');
const { useSessionStore } = await import('../stores/session');
const { ApiError } = await import('../api/http');

const CODE_ERROR = '请输入 6 位数字验证码';
const PHONE_ERROR = '请输入正确的手机号';

async function mountView(plugins: Plugin[] = []) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/bind', component: BindPhoneView },
      { path: '/:page', component: { render: () => null } },
    ],
  });
  await router.push('/bind');
  const wrapper = mount(BindPhoneView, { global: { plugins: [router, ...plugins] }, attachTo: document.body });
  const phone = wrapper.get('input[name="phone"]');
  const code = wrapper.get('input[name="smsCode"]');
  const send = () =>
    wrapper
      .findAll('button')
      .find((b) => b.text() === '获取验证码')!
      .trigger('click');
  return { wrapper, router, phone, code, send };
}

describe('the bind page', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    sendSms.mockClear();
  });

  it('says nothing about the code field before the user has typed in it or submitted', async () => {
    const { wrapper, phone, code, send } = await mountView();
    // Passing through the empty code field on the way to the send button is not a mistake.
    await code.trigger('focus');
    await code.trigger('blur');
    await flushPromises();
    expect(wrapper.text()).not.toContain(CODE_ERROR);
    await phone.setValue('13800138000');
    await send();
    await flushPromises();
    expect(sendSms).toHaveBeenCalled();
    expect(wrapper.text()).not.toContain(CODE_ERROR);
  });

  it('a code sent: a screen reader hears it once, with the countdown, and is taken on to the code field', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'requestAnimationFrame', 'cancelAnimationFrame', 'Date'] });
    try {
      const { wrapper, phone, code, send } = await mountView();
      const status = wrapper.get('[role="status"]');
      expect(status.text()).toBe('');
      await phone.setValue('13800138000');
      await send();
      await flushPromises();
      expect(status.text()).toBe('验证码已发送，60 秒后可重新获取');
      expect(document.activeElement).toBe(code.element);
      // Not every second: the same words until the countdown ends, then that it has.
      await vi.advanceTimersByTimeAsync(30_000);
      expect(status.text()).toBe('验证码已发送，60 秒后可重新获取');
      await vi.advanceTimersByTimeAsync(31_000);
      expect(status.text()).toBe('现在可以重新获取验证码');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a submit without a code says so, and sending a code then clears that message', async () => {
    const { wrapper, phone, send } = await mountView();
    await phone.setValue('13800138000');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.text()).toContain(CODE_ERROR);
    await send();
    await flushPromises();
    expect(wrapper.text()).not.toContain(CODE_ERROR);
  });

  it('a code typed short shows the message once the user leaves the field, and at submit', async () => {
    const { wrapper, phone, code, send } = await mountView();
    await phone.setValue('13800138000');
    await send();
    await flushPromises();
    await code.setValue('123');
    expect(wrapper.text()).not.toContain(CODE_ERROR);
    await code.trigger('blur');
    expect(wrapper.text()).toContain(CODE_ERROR);
    await code.setValue('');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.text()).toContain(CODE_ERROR);
  });

  it('binds through the session store with the phone and code, then goes where the BFF says', async () => {
    const pinia = createTestingPinia({ createSpy: vi.fn, stubActions: (_action, store) => store.$id === 'session' });
    const { wrapper, router, phone, code } = await mountView([pinia]);
    const session = useSessionStore();
    vi.mocked(session.bind).mockResolvedValue({ next: 'home', returnTo: '/orders' });
    await phone.setValue(' 13800138000 ');
    await code.setValue('123456');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(session.bind).toHaveBeenCalledWith('13800138000', '123456');
    expect(router.currentRoute.value.fullPath).toBe('/orders');
  });

  it("loads a page that is not the app's (another service behind nginx), query and all, instead of routing to it", async () => {
    const pinia = createTestingPinia({ createSpy: vi.fn, stubActions: (_action, store) => store.$id === 'session' });
    const { wrapper, router, phone, code } = await mountView([pinia]);
    router.addRoute({ path: '/:rest(.*)*', redirect: '/' });
    const replace = vi.spyOn(window.location, 'replace').mockImplementation(() => undefined);
    vi.mocked(useSessionStore().bind).mockResolvedValue({ next: 'home', returnTo: '/shop/orders/7?tab=paid' });
    await phone.setValue('13800138000');
    await code.setValue('123456');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(replace).toHaveBeenCalledWith('/shop/orders/7?tab=paid');
    expect(router.currentRoute.value.fullPath).toBe('/bind');
    replace.mockRestore();
  });

  it('checks the phone once the user leaves it, then as they type; the send button checks it too', async () => {
    const { wrapper, phone } = await mountView();
    const saysWrong = async (step: Promise<unknown>) => {
      await step;
      await flushPromises();
      return wrapper.text().includes(PHONE_ERROR);
    };
    expect(await saysWrong(phone.setValue('1380013'))).toBe(false);
    expect(await saysWrong(phone.trigger('blur'))).toBe(true);
    expect(await saysWrong(phone.setValue('+8613800138000'))).toBe(false);
    expect(await saysWrong(phone.setValue('1380013800'))).toBe(true);

    const fresh = await mountView();
    await fresh.phone.setValue('12345');
    await fresh.send();
    await flushPromises();
    expect(fresh.wrapper.text()).toContain(PHONE_ERROR);
    expect(sendSms).not.toHaveBeenCalled();
  });

  it('a wrong code: said in the one region below the card, the code emptied and focused for the right one', async () => {
    const pinia = createTestingPinia({ createSpy: vi.fn, stubActions: (_action, store) => store.$id === 'session' });
    const { wrapper, phone, code } = await mountView([pinia]);
    vi.mocked(useSessionStore().bind).mockRejectedValueOnce(
      new ApiError(400, 'SMS_CODE_INVALID', '验证码错误，还可尝试 4 次', { triesLeft: 4 }),
    );
    await phone.setValue('13800138000');
    await code.setValue('123456');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.findAll('[role="alert"]').map((a) => a.text())).toEqual(['验证码错误，还可尝试 4 次']);
    expect(wrapper.get('.van-cell-group').text()).not.toContain('验证码错误');
    expect((code.element as HTMLInputElement).value).toBe('');
    expect(document.activeElement).toBe(code.element);
    // Empty again, the field is no mistake until the next submit: the server's words stay.
    await code.trigger('blur');
    expect(wrapper.get('[role="alert"]').text()).toBe('验证码错误，还可尝试 4 次');
  });

  it('counts the resend cooldown down by the second, the button disabled until it is over', async () => {
    vi.useFakeTimers({
      toFake: ['Date', 'requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'setInterval', 'clearInterval'],
    });
    try {
      const { wrapper, phone, send } = await mountView();
      const button = () =>
        wrapper.findAll('button').find((b) => b.text().includes('验证码') || b.text().includes('重发'))!;
      await phone.setValue('13800138000');
      await send();
      await flushPromises();
      expect([button().text(), button().attributes('disabled')]).toEqual(['60 秒后重发', '']);
      // One animation frame (16 ms) after each second: useCountDown looks at the clock once a frame.
      await vi.advanceTimersByTimeAsync(1_020);
      expect(button().text()).toBe('59 秒后重发');
      await vi.advanceTimersByTimeAsync(58_000);
      expect(button().text()).toBe('1 秒后重发');
      await vi.advanceTimersByTimeAsync(1_000);
      expect([button().text(), button().attributes('disabled')]).toEqual(['获取验证码', undefined]);
    } finally {
      vi.useRealTimers();
    }
  });
});
