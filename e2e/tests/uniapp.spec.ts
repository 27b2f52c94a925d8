// The uni-app example (examples/uni-app, built for H5 by uni-app's own Vite plugin) served by the
// repository's nginx with the BFF behind it, in Chromium with WeChat's user agent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startStack, UNIAPP_DIST } from '../stack.mjs';
import { expect, smsCodeFor, test as base, unique, type Stack } from './fixtures';

const test = base.extend<{ wechatUser: (user: string) => Promise<void> }, { uniapp: Stack }>({
  uniapp: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const stack = await startStack({ demo: false, webRoot: UNIAPP_DIST });
      await use(stack);
      await stack.stop();
    },
    { scope: 'worker', timeout: 30_000 },
  ],
  wechatUser: async ({ context, uniapp }, use) => {
    await use((user) => context.addCookies([{ name: 'wxsim_user', value: user, url: uniapp.simOrigin }]));
  },
  baseURL: async ({ uniapp }, use) => use(uniapp.origin),
});

/** uni-app's <input>: its own element around the real one, named by its placeholder (a div of its own). */
const field = (page: Page, placeholder: string) => page.locator('uni-input', { hasText: placeholder }).locator('input');

async function bind(page: Page, phone: string, inbox: string): Promise<void> {
  await field(page, '手机号').fill(phone);
  await page.getByText('获取验证码').click();
  await expect(page.getByText(/秒后重发/)).toBeVisible();
  await field(page, '验证码').fill(await smsCodeFor(phone, inbox));
  await page.getByText('绑定并登录').click();
}

const masked = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

test('a new user: silent authorization, bind, home', async ({ page, uniapp, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  const seen: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(f.url()));

  await page.goto('/');
  await expect(page.getByText('绑定手机号').first()).toBeVisible();
  // WeChat came back to /auth with the code and #wechat_redirect; the app's router never saw either.
  expect(seen.some((u) => u.includes('/auth?code=') && u.endsWith('#wechat_redirect'))).toBe(true);
  expect(page.url()).toMatch(/\/#\/pages\/bind\/bind$/);
  expect(seen.filter((u) => u.includes('wechat_redirect') && !u.includes('/auth?code='))).toEqual([]);

  await bind(page, phone, uniapp.inbox);
  await expect(page.getByText(masked(phone))).toBeVisible();
  await expect(page.getByText('退出登录')).toBeVisible();
  expect(page.url()).not.toMatch(/code=|state=|wechat_redirect/);
});

test('a returning user goes straight home', async ({ browser, page, uniapp, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/');
  await bind(page, phone, uniapp.inbox);
  await expect(page.getByText(masked(phone))).toBeVisible();

  // Next visit, in a new browser with no session: WeChat, /auth, home; never the bind page.
  const again = await browser.newContext({ ...test.info().project.use, baseURL: uniapp.origin });
  await again.addCookies([{ name: 'wxsim_user', value: user, url: uniapp.simOrigin }]);
  const next = await again.newPage();
  const seen: string[] = [];
  next.on('framenavigated', (f) => f === next.mainFrame() && seen.push(f.url()));
  await next.goto('/');
  await expect(next.getByText(masked(phone))).toBeVisible();
  expect(seen.filter((u) => u.includes('bind'))).toEqual([]);
  await again.close();
});

test('Back after login, and the callback link opened again, show no error', async ({ page, uniapp, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  let callback = '';
  page.on('request', (r) => r.url().includes('/auth?code=') && (callback = r.url()));
  // A page before the app in this tab's history, as the chat a link is opened from.
  await page.goto('/MP_verify_wxauthUniAppDemo0.txt');
  await page.goto('/');
  await bind(page, phone, uniapp.inbox);
  await expect(page.getByText('退出登录')).toBeVisible();

  await page.goBack();
  await expect(page).toHaveURL(/MP_verify_wxauthUniAppDemo0\.txt$/);
  await page.goForward();
  await expect(page.getByText('退出登录')).toBeVisible();
  await expect(page.getByText('登录未完成')).toHaveCount(0);

  // The callback again (a refresh that beat the address-bar cleanup, a shared link): no error either.
  await page.goto(callback);
  await expect(page.getByText('退出登录')).toBeVisible();
  await expect(page.getByText('登录未完成')).toHaveCount(0);
});

test("MP_verify_*.txt from the example's public/ is at the root of its H5 build, served as text", async ({
  request,
}) => {
  const name = 'MP_verify_wxauthUniAppDemo0.txt';
  const res = await request.get(`/${name}`);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^text\/plain/);
  expect(await res.body()).toEqual(readFileSync(join(import.meta.dirname, '../../examples/uni-app/public', name)));
  // The auth page's strict CSP: no inline script in the example's index.html.
  const html = await (await request.get('/auth')).text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});
