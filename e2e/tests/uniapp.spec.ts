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

type Records = { configs: Array<Record<string, string>>; shares: Array<Record<string, string>> };
/** What the user's WeChat saw the pages do: the simulator's record of wx.config and the cards set. */
const records = async (simApi: string, user: string): Promise<Records> =>
  (await (await fetch(`${simApi}/__sim/jssdk/records?user=${user}`)).json()) as Records;

test("home's share card on H5: the page's own #/route, nothing private, WeChat's parameters not piled up", async ({
  page,
  uniapp,
  wechatUser,
}) => {
  const { user, phone } = unique();
  await wechatUser(user);
  // A card someone shared, opened: WeChat's parameters before the route. Through WeChat's login first.
  await page.goto('/?from=singlemessage&isappinstalled=0#/pages/home/home');
  await bind(page, phone, uniapp.inbox);
  await expect(page.getByText(masked(phone))).toBeVisible();

  // Signed in, the shared link again, from 朋友圈 this time: home sets its card on that address.
  const shared = `${uniapp.origin}/?from=timeline&isappinstalled=0#/pages/home/home`;
  await page.goto(shared);
  await expect(page.getByText(masked(phone))).toBeVisible();
  const card = {
    title: '会员中心',
    desc: '微信里打开，自动登录你自己的账户',
    link: `${uniapp.origin}/#/pages/home/home`,
    imgUrl: `${uniapp.origin}/static/share.png`,
  };
  await expect
    .poll(async () => (await records(uniapp.simApi, user)).shares.filter((s) => s.page === shared))
    .toEqual([
      { page: shared, api: 'updateAppMessageShareData', ...card },
      { page: shared, api: 'updateTimelineShareData', title: card.title, link: card.link, imgUrl: card.imgUrl },
    ]);
  // Every wx.config passed: iOS WeChat signs the address each document was loaded with (no #route).
  const { configs, shares } = await records(uniapp.simApi, user);
  expect(configs.length).toBeGreaterThan(0);
  expect(configs.map((c) => c.errMsg)).toEqual(configs.map(() => 'config:ok'));
  for (const { link } of shares) expect(link).not.toMatch(/from=|isappinstalled=|code=|state=|phone=|#rd/);
  expect((await page.request.get('/static/share.png')).headers()['content-type']).toBe('image/png');
});

test('a customer whose session ended signs in again from the #/route and shares it from there', async ({
  browser,
  page,
  uniapp,
  wechatUser,
}) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/');
  await bind(page, phone, uniapp.inbox);
  await expect(page.getByText(masked(phone))).toBeVisible();

  // A session cookie the BFF no longer knows: nginx serves the app, whose guard sends it through the
  // wxAuthPage with this route as returnTo, and WeChat's callback (/auth) brings it back here.
  const again = await browser.newContext({ ...test.info().project.use, baseURL: uniapp.origin });
  await again.addCookies([
    { name: 'wxsim_user', value: user, url: uniapp.simOrigin },
    { name: 'wxauth_sid', value: 'ended0000000000000000000000', url: uniapp.origin },
  ]);
  const next = await again.newPage();
  await next.goto('/#/pages/home/home');
  await expect(next.getByText(masked(phone))).toBeVisible();
  const home = `${uniapp.origin}/#/pages/home/home`;
  await expect(next).toHaveURL(home);
  // Home is a document of its own, not the /auth one (whose policy runs no outside script): its card is set.
  await expect
    .poll(async () => (await records(uniapp.simApi, user)).shares.filter((s) => s.page === home).map((s) => s.link))
    .toEqual([home, home]);
  await again.close();
});
