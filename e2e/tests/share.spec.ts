import type { Page } from '@playwright/test';
import { bind, expect, test, unique } from './fixtures';

// The real stack's pages load the simulator's JS-SDK stand-in (WX_JSSDK_SCRIPT, stack.mjs), as
// WeChat's browser runs WeChat's script.
test.use({ baseURL: async ({ real }, use) => use(real.origin) });

const ios = () => /iPhone/.test(test.info().project.use.userAgent ?? '');

type SimWindow = { __wxsim?: { shares: Array<Record<string, string>>; configs: string[] } };
const recorded = (page: Page) => page.evaluate(() => (window as unknown as SimWindow).__wxsim ?? null);

test('land on a deep page, move inside the SPA, share from home: wx.config passes, the card is right', async ({
  page,
  real,
  wechatUser,
}) => {
  const { user, phone } = unique();
  await wechatUser(user);
  const signed: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/wechat/jssdk-config')) signed.push(new URL(r.url()).searchParams.get('url')!);
  });

  // A deep page: WeChat's consent, binding, then the page itself, loaded as a document of its own.
  await page.goto('/profile?tab=orders');
  await page.getByRole('button', { name: '允许' }).click();
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/profile\?tab=orders$/);
  const landing = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceEntry).name);

  // Inside the SPA to home (history.pushState): home sets its card.
  await page.getByRole('link', { name: '返回首页' }).click();
  await expect(page).toHaveURL(`${real.origin}/`);
  await expect.poll(async () => (await recorded(page))?.shares.length).toBe(2);
  const sim = (await recorded(page))!;
  expect(sim.configs).toEqual(['config:ok']);
  // iOS signs the URL the page was entered with, Android the current one.
  expect(signed).toEqual([ios() ? landing.split('#')[0] : `${real.origin}/`]);
  const card = {
    title: '会员中心',
    desc: '微信里打开，自动登录你自己的账户',
    link: `${real.origin}/`,
    imgUrl: `${real.origin}/share.png`,
  };
  expect(sim.shares).toEqual([
    { kind: 'appMessage', ...card },
    { kind: 'timeline', title: card.title, link: card.link, imgUrl: card.imgUrl },
  ]);
  expect((await page.request.get('/share.png')).headers()['content-type']).toBe('image/png');

  // The other URL choice fails the same check: the test can fail.
  const wrong = ios() ? `${real.origin}/` : landing.split('#')[0]!;
  const errMsg = await page.evaluate(async (url) => {
    const config = (await (await fetch(`/api/wechat/jssdk-config?url=${encodeURIComponent(url)}`)).json()) as object;
    const wx = (
      window as unknown as { wx: { config(o: object): void; error(f: (r: { errMsg: string }) => void): void } }
    ).wx;
    return new Promise<string>((resolve) => {
      wx.config({ ...config, jsApiList: ['updateAppMessageShareData'] });
      wx.error((r) => resolve(r.errMsg));
    });
  }, wrong);
  expect(errMsg).toBe('config:invalid signature');
});

test("a friend opens the shared link in WeChat with WeChat's parameters: signed in as themselves, on that page", async ({
  browser,
  real,
}) => {
  const friend = unique();
  const context = await browser.newContext({ ...test.info().project.use, baseURL: real.origin });
  await context.addCookies([{ name: 'wxsim_user', value: friend.user, url: real.simOrigin }]);
  const page = await context.newPage();

  await page.goto('/?from=singlemessage&isappinstalled=0');
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, friend.phone, real.inbox);
  await expect(page).toHaveURL(`${real.origin}/?from=singlemessage&isappinstalled=0`);
  await expect(page.getByText(`${friend.phone.slice(0, 3)}****${friend.phone.slice(-4)}`)).toBeVisible();
  // The friend's own card points at the page without WeChat's parameters: they do not pile up.
  await expect.poll(async () => (await recorded(page))?.shares.length).toBe(2);
  expect((await recorded(page))!.shares[0]).toMatchObject({ link: `${real.origin}/` });
  await context.close();
});
