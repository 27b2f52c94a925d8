import { devices, type Browser, type Page } from '@playwright/test';
import { WECHAT_UA } from '../stack.mjs';
import { bind, expect, LINK_COLOUR, onOneLine, shot, test, unique, type Stack } from './fixtures';

const { defaultBrowserType: _browserType, ...IPHONE } = devices['iPhone 13'];

test('outside WeChat (real mode): open-in-WeChat page with a QR code of the link', async ({ page, real }) => {
  await page.goto(`${real.origin}/?from=share`);
  await expect(page).toHaveURL(/\/open-in-wechat\?returnTo=/);
  await expect(page.getByRole('heading', { name: '请在微信中打开' })).toBeVisible();
  await expect(page.getByAltText('当前页面的二维码')).toBeVisible();
  await expect(page.getByText(`${real.origin}/?from=share`)).toBeVisible();
  await expect(page.getByText('模拟微信')).toHaveCount(0);
  await shot(page, 'open-in-wechat');
});

test('demo mode: a desktop browser walks the whole journey under the 模拟微信 banner', async ({
  page,
  context,
  demo,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: demo.simOrigin }]);
  const seen: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(f.url()));
  await page.goto(`${demo.origin}/`);
  await expect(page).toHaveURL(/\/bind$/);
  // The seeds' journey: silent snsapi_base, then the phone. The demo has a PC website app, but the
  // profile step before binding is off by default (WX_UNIONID_BEFORE_BIND): no page of WeChat's shows.
  expect(seen.filter((u) => u.startsWith(demo.simOrigin))).toEqual([]);
  await expect(page.getByText('模拟微信')).toBeVisible();
  await bind(page, phone, demo.inbox);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await expect(page.getByText('模拟微信')).toBeVisible();
});

test('demo mode: Back after binding leaves no error behind', async ({ page, context, demo }) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: demo.simOrigin }]);
  await page.goto(`${demo.origin}/`);
  await bind(page, phone, demo.inbox);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  // The silent journey replaced its pages as it went: Back leaves for the page before the demo.
  await page.goBack();
  expect(page.url()).not.toContain('/auth');
  await expect(page.getByText('登录未完成')).toHaveCount(0);
});

test('demo mode: 换个新用户 in the banner walks the new-user journey again, as another WeChat user', async ({
  page,
  context,
  demo,
}) => {
  const { user, phone } = unique();
  const masked = (p: string) => `${p.slice(0, 3)}****${p.slice(-4)}`;
  await context.addCookies([{ name: 'wxsim_user', value: user, url: demo.simOrigin }]);
  await page.goto(`${demo.origin}/`);
  await bind(page, phone, demo.inbox);
  await expect(page.getByText(masked(phone))).toBeVisible();

  await page.getByRole('button', { name: '换个新用户' }).click();
  // Bound already, the first user would have gone home: a new one is asked for a phone.
  await expect(page).toHaveURL(/\/bind$/);
  const next = (await context.cookies(demo.simOrigin)).find((c) => c.name === 'wxsim_user')!.value;
  expect(next).not.toBe(user);
  const other = `138${phone.slice(3)}`;
  await bind(page, other, demo.inbox);
  await expect(page.getByText(masked(other))).toBeVisible();
});

test('demo mode: the bind page says where to read the SMS code', async ({ page, context, demo }) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: demo.simOrigin }]);
  await page.clock.install(); // held still below: the countdown in the screenshot reads 60 every run
  await page.goto(`${demo.origin}/`);
  await page.getByLabel('手机号').fill(phone);
  await page.clock.pauseAt(Date.now() + 1000);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByRole('link', { name: `/api/dev/sms-inbox?phone=${phone}` })).toBeVisible();
  await shot(page, 'bind-demo');
});

test('demo mode on a phone: the inbox link is whole on one line, in the link colour', async ({ browser, demo }) => {
  const { user, phone } = unique();
  const context = await browser.newContext({ ...IPHONE });
  await context.addCookies([{ name: 'wxsim_user', value: user, url: demo.simOrigin }]);
  const page = await context.newPage();
  await page.goto(`${demo.origin}/`);
  await page.getByLabel('手机号').fill(phone);
  await page.getByRole('button', { name: '获取验证码' }).click();
  const inbox = page.getByRole('link', { name: `/api/dev/sms-inbox?phone=${phone}` });
  await expect(inbox).toBeVisible();
  expect(await onOneLine(inbox)).toBe(true);
  await expect(inbox).toHaveCSS('color', LINK_COLOUR);
  await context.close();
});

test.describe('PC QR login and one customer by unionid', () => {
  async function phoneContext(browser: Browser, pc: Stack, user: string) {
    const context = await browser.newContext({ ...IPHONE, userAgent: WECHAT_UA });
    await context.addCookies([{ name: 'wxsim_user', value: user, url: pc.simOrigin }]);
    return context;
  }

  async function qrLogin(page: Page, pc: Stack, user: string) {
    await page.context().addCookies([{ name: 'wxsim_user', value: user, url: pc.simOrigin }]);
    await page.goto(`${pc.origin}/`);
    await expect(page).toHaveURL(/\/open-in-wechat/);
    const frame = page.frameLocator('iframe[title="微信扫码登录"]');
    await expect(frame.getByRole('button', { name: '模拟扫码并确认登录' })).toBeVisible();
    return frame;
  }

  test('bound on mobile, then a desktop logs in by QR: home with the same phone', async ({ browser, page, pc }) => {
    const { user, phone } = unique();
    const mobile = await phoneContext(browser, pc, user);
    const m = await mobile.newPage();
    await m.goto(`${pc.origin}/`);
    await m.getByRole('button', { name: '允许' }).click();
    await expect(m).toHaveURL(/\/bind$/);
    await bind(m, phone, pc.inbox);
    await expect(m.getByRole('button', { name: '退出登录' })).toBeVisible();
    await mobile.close();

    const frame = await qrLogin(page, pc, user);
    await shot(page, 'pc-qr-login');
    await frame.getByRole('button', { name: '模拟扫码并确认登录' }).click();
    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
    await expect(page.getByText(`${phone.slice(0, 3)}****${phone.slice(-4)}`)).toBeVisible();
  });

  test('a desktop sent to /auth (by a protected page of the site, say) gets the QR login, its frame allowed', async ({
    page,
    pc,
  }) => {
    const { user } = unique();
    await page.context().addCookies([{ name: 'wxsim_user', value: user, url: pc.simOrigin }]);
    // /auth's page may frame nothing (nginx.conf): the QR login must be a page of its own.
    await page.goto(`${pc.origin}/auth?returnTo=%2F`);
    await expect(page).toHaveURL(/\/open-in-wechat/);
    const frame = page.frameLocator('iframe[title="微信扫码登录"]');
    await expect(frame.getByRole('button', { name: '模拟扫码并确认登录' })).toBeVisible();
  });

  test('on a phone outside WeChat, the QR login names the website app on one line', async ({ browser, pc }) => {
    const context = await browser.newContext({ ...IPHONE });
    const page = await context.newPage();
    await page.goto(`${pc.origin}/`);
    const frame = page.frameLocator('iframe[title="微信扫码登录"]');
    const title = frame.locator('p', { hasText: '使用微信扫一扫登录' });
    await expect(title).toBeVisible();
    expect(await onOneLine(title, 'wxauth 演示网站应用')).toBe(true);
    await context.close();
  });

  test('the profile step before binding, then Back to its consent page: 允许 goes home, not to an error', async ({
    browser,
    pc,
  }) => {
    const { user, phone } = unique();
    const mobile = await phoneContext(browser, pc, user);
    const m = await mobile.newPage();
    await m.goto(`${pc.origin}/`);
    await m.getByRole('button', { name: '允许' }).click();
    await bind(m, phone, pc.inbox);
    await expect(m.getByRole('button', { name: '退出登录' })).toBeVisible();

    await m.goBack();
    await m.getByRole('button', { name: '允许' }).click();
    await expect(m.getByRole('button', { name: '退出登录' })).toBeVisible();
    await expect(m.getByText('登录未完成')).toHaveCount(0);
    await mobile.close();
  });

  test('PC QR login, bind, then Back: the QR page again, no error', async ({ page, pc }) => {
    const { user, phone } = unique();
    const frame = await qrLogin(page, pc, user);
    await frame.getByRole('button', { name: '模拟扫码并确认登录' }).click();
    await bind(page, phone, pc.inbox);
    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
    await page.goBack();
    await expect(page).toHaveURL(/\/open-in-wechat/);
    await expect(page.frameLocator('iframe[title="微信扫码登录"]').getByText('模拟扫码并确认登录')).toBeVisible();
    await expect(page.getByText('登录未完成')).toHaveCount(0);
  });

  test('a new PC user binds, then logs in on mobile: home with no binding', async ({ browser, page, pc }) => {
    const { user, phone } = unique();
    const frame = await qrLogin(page, pc, user);
    await frame.getByRole('button', { name: '模拟扫码并确认登录' }).click();
    await expect(page).toHaveURL(/\/bind$/);
    await bind(page, phone, pc.inbox);
    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();

    const mobile = await phoneContext(browser, pc, user);
    const m = await mobile.newPage();
    const binding: string[] = [];
    m.on('request', (r) => /\/api\/(sms\/send|account\/bind)$/.test(r.url()) && binding.push(r.url()));
    await m.goto(`${pc.origin}/`);
    await m.getByRole('button', { name: '允许' }).click();
    await expect(m.getByRole('button', { name: '退出登录' })).toBeVisible();
    await expect(m.getByText(`${phone.slice(0, 3)}****${phone.slice(-4)}`)).toBeVisible();
    // The profile step gave the unionid; the mobile identity joined the PC customer: no SMS, no binding.
    expect(binding).toEqual([]);
    await mobile.close();
  });
});
