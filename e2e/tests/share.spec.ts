import { bind, expect, test, unique } from './fixtures';

// The real stack's pages load the simulator's JS-SDK stand-in (WX_JSSDK_SCRIPT, stack.mjs), as
// WeChat's browser runs WeChat's script.
test.use({ baseURL: async ({ real }, use) => use(real.origin) });

const ios = () => /iPhone/.test(test.info().project.use.userAgent ?? '');

type Records = { configs: Array<Record<string, string>>; shares: Array<Record<string, string>> };
/** What the user's WeChat saw the pages do: the simulator's record of wx.config and the cards set. */
const records = async (simApi: string, user: string): Promise<Records> =>
  (await (await fetch(`${simApi}/__sim/jssdk/records?user=${user}`)).json()) as Records;

/** A card's link as WeChat hands it on: its own parameters added, before any fragment (and #rd, old clients). */
function asShared(link: string, from: 'singlemessage' | 'groupmessage' | 'timeline', fragment = ''): string {
  const url = new URL(link);
  url.searchParams.append('from', from);
  url.searchParams.append('isappinstalled', '0');
  return url.href.split('#')[0] + fragment;
}

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
  await expect.poll(async () => (await records(real.simApi, user)).shares.length).toBe(2);
  const sim = await records(real.simApi, user);
  expect(sim.configs.map((c) => c.errMsg)).toEqual(['config:ok']);
  // iOS signs the URL the page was entered with, Android the current one.
  expect(signed).toEqual([ios() ? landing.split('#')[0] : `${real.origin}/`]);
  const card = {
    title: '会员中心',
    desc: '微信里打开，自动登录你自己的账户',
    link: `${real.origin}/`,
    imgUrl: `${real.origin}/share.png`,
  };
  const home = `${real.origin}/`;
  expect(sim.shares).toEqual([
    { page: home, api: 'updateAppMessageShareData', ...card },
    { page: home, api: 'updateTimelineShareData', title: card.title, link: card.link, imgUrl: card.imgUrl },
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

  const shared = asShared(`${real.origin}/`, 'singlemessage');
  await page.goto(shared);
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, friend.phone, real.inbox);
  await expect(page).toHaveURL(shared);
  await expect(page.getByText(`${friend.phone.slice(0, 3)}****${friend.phone.slice(-4)}`)).toBeVisible();
  // The friend's own card points at the page without WeChat's parameters: they do not pile up.
  await expect.poll(async () => (await records(real.simApi, friend.user)).shares.length).toBe(2);
  expect((await records(real.simApi, friend.user)).shares.map((s) => s.link)).toEqual([
    `${real.origin}/`,
    `${real.origin}/`,
  ]);
  await context.close();
});

test("a customer's shared link with its own query, WeChat's parameters and an old client's #rd: silently in, no pile-up", async ({
  browser,
  real,
}) => {
  const friend = unique();
  const use = { ...test.info().project.use, baseURL: real.origin };
  // The friend is a customer already (bound on another phone, say), with no session in this browser.
  const before = await browser.newContext(use);
  await before.addCookies([{ name: 'wxsim_user', value: friend.user, url: real.simOrigin }]);
  const first = await before.newPage();
  await first.goto('/');
  await bind(first, friend.phone, real.inbox);
  await expect(first.getByText('已登录')).toBeVisible();
  await before.close();

  const context = await browser.newContext(use);
  await context.addCookies([{ name: 'wxsim_user', value: friend.user, url: real.simOrigin }]);
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(f.url()));
  // Shared once to a group, then on to 朋友圈: each hop adds WeChat's parameters again.
  const link = asShared(asShared(`${real.origin}/?tab=orders`, 'groupmessage'), 'timeline', '#rd');
  await page.goto(link);
  const landed = link.split('#')[0]!;
  await expect(page).toHaveURL(landed);
  await expect(page.getByText(`${friend.phone.slice(0, 3)}****${friend.phone.slice(-4)}`)).toBeVisible();
  // Silently through WeChat and straight back: no bind page, no open-in-WeChat page on the way.
  expect(seen.filter((u) => /\/(bind|open-in-wechat)\b/.test(u))).toEqual([]);

  // Sharing again from here: the card is the page with its own query only.
  await expect.poll(async () => (await records(real.simApi, friend.user)).shares.length).toBeGreaterThanOrEqual(4);
  const mine = (await records(real.simApi, friend.user)).shares.filter((s) => s.page === page.url());
  expect(mine.map((s) => s.link)).toEqual([`${real.origin}/?tab=orders`, `${real.origin}/?tab=orders`]);
  await context.close();

  // The same link outside WeChat: the open-in-WeChat page, which keeps where it was going.
  const desktop = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130 Safari/537.36' });
  const outside = await desktop.newPage();
  await outside.goto(link);
  await expect(outside.getByRole('heading', { name: '请在微信中打开' })).toBeVisible();
  expect(new URL(outside.url()).pathname).toBe('/open-in-wechat');
  expect(new URL(outside.url()).searchParams.get('returnTo')).toBe(landed.slice(real.origin.length));
  await desktop.close();
});
