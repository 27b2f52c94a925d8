// Every page of the H5 app, in each of its states, audited (accessibility.ts): axe's WCAG 2.1 A/AA
// rules with no violation, and nothing cut off or on top of anything at 200 % text. iPhone 13 and
// WeChat's user agent (the project's), another browser where the page is for one.
import { devices, type Page } from '@playwright/test';
import { startStack, UNIAPP_DIST } from '../stack.mjs';
import { audit, setTextSize } from './accessibility';
import { type AccountsStack, bind, expect, shot, smsCodeFor, type Stack, test, unique } from './fixtures';

const { defaultBrowserType: _browserType, userAgent: SAFARI_UA, ...IPHONE } = devices['iPhone 13'];

/** This browser is `user` to the simulated WeChat of `stack`. */
const asWechatUser = (page: Page, stack: Stack, user: string) =>
  page.context().addCookies([{ name: 'wxsim_user', value: user, url: stack.simOrigin }]);

/** The auth page's messages, one code each (the codes that read the same as another are left out). */
const AUTH_ERRORS = [
  'STATE_INVALID',
  'CODE_MISSING',
  'CODE_INVALID',
  'CODE_USED',
  'CODE_EXPIRED',
  'SNAPSHOT_USER',
  'WECHAT_BUSY',
  'WECHAT_TIMEOUT',
  'WECHAT_UNAVAILABLE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'LOGIN_FAILED',
];

test.describe('the auth page', () => {
  test.use({ baseURL: async ({ real }, use) => use(real.origin) });

  test('while it leaves for WeChat', async ({ browser, real }) => {
    // Held on its way: outside WeChat the page asks /api/meta whether this is the demo before it goes
    // on, and that answer never comes. The spinner is what a user sees for that moment.
    const context = await browser.newContext({ ...IPHONE, userAgent: SAFARI_UA, baseURL: real.origin });
    const page = await context.newPage();
    await page.route('**/api/meta', () => undefined);
    await page.goto('/auth?returnTo=%2F');
    await expect(page.getByRole('status')).toHaveText('正在登录…');
    await audit(page, 'auth-leaving');
    await context.close();
  });

  for (const code of AUTH_ERRORS)
    test(`the message for ${code}`, async ({ page }) => {
      await page.goto(`/auth?error=${code}`);
      await expect(page.getByRole('alert')).not.toBeEmpty();
      await audit(page, `auth-${code}`);
    });

  test('consent refused on the profile step before binding: the message, and the way to skip it', async ({ page }) => {
    // The flow this tab started (AuthView remembers it), and WeChat's answer: a state and no code.
    await page.addInitScript(() =>
      sessionStorage.setItem('wxauth.flow', JSON.stringify({ returnTo: '/bind', scope: 'snsapi_userinfo' })),
    );
    await page.goto('/auth?state=AbCdEfGhIjKlMnOpQrStUvWxYz012345');
    await expect(page.getByRole('link', { name: '跳过，直接绑定手机号' })).toBeVisible();
    await audit(page, 'auth-refused-skippable');
  });
});

test.describe('outside WeChat', () => {
  test.use({ ...IPHONE, userAgent: SAFARI_UA });

  test('open in WeChat: the QR code of the link', async ({ page, real }) => {
    await page.goto(`${real.origin}/?from=share`);
    await expect(page.getByAltText('当前页面的二维码')).toBeVisible();
    await audit(page, 'open-in-wechat');
  });

  test('open in WeChat, with the website app: WeChat’s QR login below it', async ({ page, pc }) => {
    await page.goto(`${pc.origin}/`);
    await expect(page.frameLocator('iframe[title="微信扫码登录"]').getByText('使用微信扫一扫登录')).toBeVisible();
    // The frame is WeChat's page (open.weixin.qq.com; here the simulator's): its title is ours to give.
    await audit(page, 'open-in-wechat-qr-login', { exclude: ['iframe'] });
  });

  test('signed out', async ({ page, real }) => {
    await page.goto(`${real.origin}/open-in-wechat?signedOut=1`);
    await expect(page.getByRole('heading', { name: '已退出登录' })).toBeVisible();
    await audit(page, 'signed-out');
  });

  test('the demo: its banner on the bind page, the SMS inbox hint', async ({ page, demo }) => {
    const { user, phone } = unique();
    await asWechatUser(page, demo, user);
    await page.goto(`${demo.origin}/`);
    await expect(page.getByRole('heading', { name: '绑定手机号' })).toBeVisible();
    await expect(page.getByText('模拟微信 · 演示模式')).toBeVisible();
    await audit(page, 'demo-bind');
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByRole('link', { name: `/api/dev/sms-inbox?phone=${phone}` })).toBeVisible();
    await audit(page, 'demo-bind-sent');
  });
});

test.describe('in WeChat', () => {
  test.use({ baseURL: async ({ real }, use) => use(real.origin) });

  test('the bind page: as it opens, a wrong phone, the countdown, a wrong code', async ({
    page,
    real,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(400, '/api/account/bind');
    const { user, phone } = unique();
    await asWechatUser(page, real, user);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: '绑定手机号' })).toBeVisible();
    await audit(page, 'bind');
    await setTextSize(page, 200);
    await shot(page, 'large-text-bind');
    await setTextSize(page, 100);

    await page.getByLabel('手机号').fill('12345');
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByRole('alert').filter({ hasText: '请输入正确的手机号' })).toBeVisible();
    await audit(page, 'bind-phone-invalid');

    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
    await audit(page, 'bind-countdown');

    const code = await smsCodeFor(phone, real.inbox);
    await page.getByLabel('验证码', { exact: true }).fill(code === '000000' ? '000001' : '000000');
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await expect(page.getByRole('alert').filter({ hasText: '验证码错误' })).toBeVisible();
    await audit(page, 'bind-wrong-code');
  });

  test('home, and the confirmation before unbinding', async ({ page, real }) => {
    const { user, phone } = unique();
    await asWechatUser(page, real, user);
    await page.goto('/');
    await bind(page, phone, real.inbox);
    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
    await audit(page, 'home');
    await setTextSize(page, 200);
    await shot(page, 'large-text-home');
    await setTextSize(page, 100);
    await page.getByRole('button', { name: '解绑手机号' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await audit(page, 'home-unbind-dialog');
  });

  test("the profile (snsapi_userinfo): the user's avatar and nickname", async ({ page, real }) => {
    const { user, phone } = unique();
    await asWechatUser(page, real, user);
    await page.goto('/profile');
    await page.getByRole('button', { name: '允许' }).click();
    await bind(page, phone, real.inbox);
    await expect(page.getByRole('heading', { name: `微信用户${user}` })).toBeVisible();
    await audit(page, 'profile');
  });

  test('the login service unavailable', async ({ page }) => {
    await page.goto('/unavailable?returnTo=%2F');
    await expect(page.getByRole('heading', { name: '服务暂时不可用' })).toBeVisible();
    await audit(page, 'unavailable');
  });
});

test.describe('OpenID Connect', () => {
  test("the consent page for another company's app, and its message when the login is gone", async ({
    page,
    oidc,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(404, '/api/oidc/interaction/gone/consent');
    const { user, phone } = unique();
    await asWechatUser(page, oidc, user);
    await page.goto(`${oidc.partner.origin}/login`);
    await bind(page, phone, oidc.inbox);
    await expect(page.getByRole('button', { name: '同意' })).toBeVisible();
    await audit(page, 'authorize-app');
    await setTextSize(page, 200);
    await shot(page, 'large-text-authorize-app');
    await setTextSize(page, 100);

    await page.goto(`${oidc.origin}/authorize-app?uid=gone`);
    await expect(page.getByRole('alert')).toHaveText('这次登录已过期，请回到原来的应用重新登录');
    await audit(page, 'authorize-app-expired');
  });
});

test.describe('both ways to bind (BIND_METHODS=sms,password)', () => {
  test.use({ baseURL: async ({ accounts }, use) => use(accounts.origin) });

  async function toBindPage(page: Page, accounts: AccountsStack): Promise<void> {
    await asWechatUser(page, accounts, unique().user);
    await page.goto('/');
    await expect(page.getByRole('heading', { name: '绑定账号' })).toBeVisible();
  }

  test('短信验证码登录: the tab as it opens, and its countdown', async ({ page, accounts }) => {
    const { phone } = unique();
    await toBindPage(page, accounts);
    await audit(page, 'bind-tabs-sms');
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
    await audit(page, 'bind-tabs-sms-countdown');
  });

  test('the keyboard: Tab goes tab, its panel, phone, code, its button, submit; each shows a focus ring', async ({
    page,
    accounts,
  }) => {
    await toBindPage(page, accounts);
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement;
        // A field's ring is drawn around its row (the label, the input, a button), not the input alone.
        const ringed = el.matches('.van-field__control') ? el.closest('.van-field')! : el;
        const { outlineStyle, outlineWidth } = getComputedStyle(ringed);
        const name = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent;
        const role = el.getAttribute('role') ?? el.tagName.toLowerCase();
        // The panel's name would be all its text: its role says enough.
        return `${role === 'tabpanel' ? role : `${role} ${name?.trim()}`}, ${outlineStyle} ${outlineWidth}`;
      });
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual([
      'tab 短信验证码登录, solid 2px',
      // Vant's panel is a stop of its own (WAI-ARIA's tabs pattern allows it).
      'tabpanel, solid 2px',
      'input 手机号, solid 2px',
      'input 验证码, solid 2px',
      'button 获取验证码, solid 2px',
      'button 绑定并登录, solid 2px',
    ]);
    // Back to the tabs: the arrow keys move between them (WAI-ARIA's tabs pattern), focus with them.
    for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('tab 账号密码登录, solid 2px');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('input 账号, solid 2px');
  });

  test('账号密码登录: the tab, its fields left empty, a wrong password', async ({ page, accounts, consoleErrors }) => {
    consoleErrors.expectFailure(401, '/api/account/bind-password');
    accounts.host.customers.push({
      customerId: 'A11Y-1',
      account: 'a11y@example.com',
      password: 'right-one',
      displayName: '无障碍测试（很长的分公司名称，看它换行）',
    });
    await toBindPage(page, accounts);
    await page.getByRole('tab', { name: '账号密码登录' }).click();
    await audit(page, 'bind-tabs-password');

    await page.getByRole('button', { name: '登录并绑定' }).click();
    await expect(page.getByRole('alert')).toHaveText('请输入账号和密码');
    await audit(page, 'bind-tabs-password-empty');

    await page.getByLabel('账号', { exact: true }).fill('a11y@example.com');
    await page.getByLabel('密码', { exact: true }).fill('wrong-one');
    await page.getByRole('button', { name: '登录并绑定' }).click();
    await expect(page.getByRole('alert')).toHaveText('账号或密码错误');
    await audit(page, 'bind-tabs-password-wrong');

    await page.getByLabel('密码', { exact: true }).fill('right-one');
    await page.getByRole('button', { name: '登录并绑定' }).click();
    await expect(page.getByText('无障碍测试（很长的分公司名称，看它换行）')).toBeVisible();
    await audit(page, 'home-host-account');
  });
});

test.describe('the uni-app example', () => {
  const uniapp = test.extend<object, { uniapp: Stack }>({
    uniapp: [
      // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
      async ({}, use) => {
        const stack = await startStack({ demo: false, webRoot: UNIAPP_DIST });
        await use(stack);
        await stack.stop();
      },
      { scope: 'worker', timeout: 30_000 },
    ],
    baseURL: async ({ uniapp }, use) => use(uniapp.origin),
  });

  uniapp('its wxAuthPage with a message, its bind page, its home', async ({ page, uniapp }) => {
    const { user, phone } = unique();
    await page.goto('/auth?error=WECHAT_BUSY');
    await expect(page.getByText('登录未完成')).toBeVisible();
    await audit(page, 'uniapp-auth-error');

    await asWechatUser(page, uniapp, user);
    await page.goto('/');
    await expect(page.getByText('绑定手机号').first()).toBeVisible();
    await audit(page, 'uniapp-bind');

    const field = (placeholder: string) => page.locator('uni-input', { hasText: placeholder }).locator('input');
    await field('手机号').fill(phone);
    await page.getByText('获取验证码').click();
    await expect(page.getByText(/秒后重发/)).toBeVisible();
    await audit(page, 'uniapp-bind-countdown');
    await field('验证码').fill(await smsCodeFor(phone, uniapp.inbox));
    await page.getByText('绑定并登录').click();
    await expect(page.getByText('退出登录')).toBeVisible();
    await audit(page, 'uniapp-home');
  });
});
