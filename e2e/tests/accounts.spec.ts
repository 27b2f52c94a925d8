// The host system's customers (issue 13): the BFF asks the host stand-in's directory which customer a
// proven phone or an account and password are, and tells its event receiver, all signed. In WeChat's
// browser, through the repository's nginx, with both ways to bind (BIND_METHODS=sms,password).
import type { Page } from '@playwright/test';
import { type AccountsStack, bind, expect, shot, smsCodeFor, test, UNKNOWN_PHONE_MESSAGE, unique } from './fixtures';

/** This browser is `user` to the simulated WeChat of `stack`. */
const wechatUserOf = (page: Page, stack: AccountsStack, user: string) =>
  page.context().addCookies([{ name: 'wxsim_user', value: user, url: stack.simOrigin }]);

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

/** Opens the app as a new WeChat user: silent authorization, then the bind page. */
async function toBindPage(page: Page, stack: AccountsStack, user: string): Promise<void> {
  await wechatUserOf(page, stack, user);
  await page.goto('/');
  await expect(page).toHaveURL(/\/bind$/);
  await expect(page.getByRole('heading', { name: '绑定账号' })).toBeVisible();
}

/** The password form of the tab 账号密码登录, filled in. */
async function fillPassword(page: Page, account: string, password: string): Promise<void> {
  await page.getByLabel('账号', { exact: true }).fill(account);
  await page.getByLabel('密码', { exact: true }).fill(password);
}

test.describe('the host directory and both ways to bind', () => {
  test.use({ baseURL: async ({ accounts }, use) => use(accounts.origin) });

  test("SMS: a phone the host knows binds to the host's customer; home shows its name; the host hears wechat.bound, signed", async ({
    page,
    accounts,
  }) => {
    const { user, phone } = unique();
    const customerId = `C-${phone}`;
    accounts.host.customers.push({ customerId, phone, displayName: '张三（上海分公司）' });
    await toBindPage(page, accounts, user);
    // Tabs in BIND_METHODS' order, the first one open.
    await expect(page.getByRole('tab')).toHaveText(['短信验证码登录', '账号密码登录']);
    await expect(page.getByRole('tab', { name: '短信验证码登录' })).toHaveAttribute('aria-selected', 'true');

    await bind(page, phone, accounts.inbox);
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByText('张三（上海分公司）')).toBeVisible();
    await expect(page.getByText(masked(phone))).toBeVisible();

    await expect
      .poll(() => accounts.host.events().filter((e) => e.type === 'wechat.bound' && e.data.customerId === customerId))
      .toEqual([expect.objectContaining({ data: expect.objectContaining({ method: 'sms', phone }) })]);
    // The stand-in checks every request's signature with docs/examples/verify-signature.mjs: none was refused.
    expect(accounts.host.state.refused).toBe(0);
  });

  test('账号密码登录: a wrong password reads 账号或密码错误, the right one binds; home shows the name and no phone', async ({
    page,
    accounts,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(401, '/api/account/bind-password');
    const { user } = unique();
    accounts.host.customers.push({
      customerId: 'K-20931',
      account: 'zhangsan@example.com',
      password: 'Tr0ub4dor&3',
      displayName: '张三',
    });
    await toBindPage(page, accounts, user);
    await page.getByRole('tab', { name: '账号密码登录' }).click();
    await expect(page.getByRole('tab', { name: '账号密码登录' })).toHaveAttribute('aria-selected', 'true');
    // What password managers look for.
    await expect(page.locator('input[name="account"][autocomplete="username"]')).toBeVisible();
    await expect(
      page.locator('input[name="password"][type="password"][autocomplete="current-password"]'),
    ).toBeVisible();

    await fillPassword(page, 'zhangsan@example.com', 'Tr0ub4dor&4');
    await page.getByRole('button', { name: '显示密码' }).click();
    await expect(page.getByLabel('密码', { exact: true })).toHaveAttribute('type', 'text');
    await page.getByRole('button', { name: '隐藏密码' }).click();
    await expect(page.getByLabel('密码', { exact: true })).toHaveAttribute('type', 'password');
    await shot(page, 'bind-password');

    const submit = page.getByRole('button', { name: '登录并绑定' });
    const before = await submit.boundingBox();
    await submit.click();
    await expect(page.getByRole('alert')).toHaveText('账号或密码错误');
    // The message had its line already: the button did not move (a text line's sub-pixel rounding aside).
    const after = (await submit.boundingBox())!;
    expect(Math.abs(after.y - before!.y)).toBeLessThan(1);
    expect([after.x, after.width, after.height]).toEqual([before!.x, before!.width, before!.height]);
    await expect(page).toHaveURL(/\/bind$/);

    await page.getByLabel('密码', { exact: true }).fill('Tr0ub4dor&3');
    await submit.click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByText('张三', { exact: true })).toBeVisible();
    await expect(page.getByText('手机号')).toHaveCount(0);
    await expect(page.getByRole('button', { name: '解除绑定' })).toBeVisible();
    await expect
      .poll(() => accounts.host.events().filter((e) => e.type === 'wechat.bound' && e.data.customerId === 'K-20931'))
      .toEqual([expect.objectContaining({ data: expect.objectContaining({ method: 'password' }) })]);
  });

  test('SMS: a phone the host does not know is refused with the operator’s message (DIRECTORY_UNKNOWN_PHONE=refuse)', async ({
    page,
    accounts,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(403, '/api/account/bind');
    const { user, phone } = unique();
    await toBindPage(page, accounts, user);
    await bind(page, phone, accounts.inbox);
    await expect(page.getByRole('alert')).toHaveText(UNKNOWN_PHONE_MESSAGE);
    await expect(page).toHaveURL(/\/bind$/);
  });

  test('SMS: the host down while binding reads 账号服务暂时不可用; back up, pressing again binds with the same code', async ({
    page,
    accounts,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(503, '/api/account/bind');
    const { user, phone } = unique();
    const customerId = `C-${phone}`;
    accounts.host.customers.push({ customerId, phone, displayName: '李四' });
    await toBindPage(page, accounts, user);
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByLabel('验证码', { exact: true }).fill(await smsCodeFor(phone, accounts.inbox));

    await accounts.host.stop();
    try {
      await page.getByRole('button', { name: '绑定并登录' }).click();
      await expect(page.getByRole('alert')).toHaveText('账号服务暂时不可用，请稍后重试');
      await expect(page).toHaveURL(/\/bind$/);
    } finally {
      await accounts.host.start();
    }
    const sent = await smsCodeFor(phone, accounts.inbox);
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByText('李四')).toBeVisible();
    // No second SMS was asked for: the gateway still has the one code.
    expect(await smsCodeFor(phone, accounts.inbox)).toBe(sent);
  });
});

test.describe('password lockout', () => {
  test.use({ baseURL: async ({ lockout }, use) => use(lockout.origin) });

  test('five wrong passwords lock the account: the next try, right or wrong, says how many minutes to wait', async ({
    page,
    lockout,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(401, '/api/account/bind-password');
    consoleErrors.expectFailure(429, '/api/account/bind-password');
    const { user } = unique();
    lockout.host.customers.push({
      customerId: 'K-30077',
      account: 'wangwu',
      password: 'right-one',
      displayName: '王五',
    });
    await toBindPage(page, lockout, user);
    await page.getByRole('tab', { name: '账号密码登录' }).click();
    const submit = page.getByRole('button', { name: '登录并绑定' });
    // Each answer awaited: the message of the one before reads the same.
    const attempt = (password: string) =>
      Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/account/bind-password')),
        fillPassword(page, 'wangwu', password).then(() => submit.click()),
      ]);
    for (let i = 1; i <= 5; i++) {
      const [answer] = await attempt(`wrong-${i}`);
      expect(answer.status()).toBe(401);
      await expect(page.getByRole('alert')).toHaveText('账号或密码错误');
      await expect(submit).toBeEnabled();
    }
    const [answer] = await attempt('right-one');
    expect(answer.status()).toBe(429);
    await expect(page.getByRole('alert')).toHaveText('尝试次数过多，请 15 分钟后再试');
    await expect(page).toHaveURL(/\/bind$/);
    expect(lockout.host.state.calls.verify).toBe(5);
  });
});
