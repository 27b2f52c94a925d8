import { devices, type Browser, type Page } from '@playwright/test';
import { demoApps } from '@wxauth/wechat-sim';
import { startCluster } from '../cluster.mjs';
import { WECHAT_UA } from '../stack.mjs';
import { bind, expect, shot, test, unique, type Cluster } from './fixtures';

// A desktop logs in through the Official Account: Chromium on a desktop shows the account's QR code
// (through real nginx, two BFF instances on MariaDB and Redis); the simulated WeChat user scans it, reads
// the account's reply in the chat, opens its link in WeChat's browser, confirms; the desktop is signed in.

const { defaultBrowserType: _browserType, ...IPHONE } = devices['iPhone 13'];
const [OFFICIAL] = demoApps('localhost');
const TOKEN = 'e2eFollowToken2026';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

test.describe.configure({ mode: 'serial', timeout: 120_000 });

let cluster: Cluster;
test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster({
    env: { FOLLOW_LOGIN: '1', WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: AES_KEY },
  });
});
test.afterAll(async () => {
  await cluster?.stop();
});

const sim = (path: string, body?: unknown) =>
  fetch(`${cluster.simApi}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

/** The account's server configuration, as an operator sets it in the MP backend: nginx's message endpoint. */
async function serverMode(mode: 'plaintext' | 'safe'): Promise<void> {
  const res = await sim('/__sim/oa/server', {
    appid: OFFICIAL!.appid,
    url: `http://127.0.0.1:${cluster.port}/api/wechat/messages`,
    token: TOKEN,
    encodingAESKey: AES_KEY,
    mode,
  });
  expect(res.status).toBe(200);
}

/** A phone: WeChat's browser as `user`. */
async function phoneFor(browser: Browser, user: string): Promise<Page> {
  const context = await browser.newContext({ ...IPHONE, userAgent: WECHAT_UA });
  await context.addCookies([{ name: 'wxsim_user', value: user, url: cluster.simOrigin }]);
  return context.newPage();
}

/** The desktop, from a deep link to the follow login's QR code: the ticket it shows. */
async function desktopQr(page: Page): Promise<string> {
  await page.goto(`${cluster.origin}/`);
  await expect(page).toHaveURL(/\/open-in-wechat\?returnTo=/);
  await page.getByRole('link', { name: '用微信扫码关注登录' }).click();
  await expect(page.getByRole('heading', { name: '微信扫码关注登录' })).toBeVisible();
  const qr = page.getByAltText('公众号登录二维码');
  await expect(qr).toBeVisible();
  // A real image: the simulator's showqrcode PNG, allowed by nginx.conf's CSP.
  expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  return new URL((await qr.getAttribute('src'))!).searchParams.get('ticket')!;
}

/**
 * `user` scans the QR code in WeChat: a user who does not follow the account yet is pushed `subscribe`, a
 * follower `SCAN` (the simulator's users named follower-…). The link in the account's reply, read from the
 * user's chat.
 */
async function scanAndReadLink(ticket: string, user: string): Promise<string> {
  const scanned = await sim('/__sim/oa/scan', { appid: OFFICIAL!.appid, ticket, user });
  expect(scanned.status).toBe(200);
  expect(((await scanned.json()) as { event: string }).event).toBe(user.startsWith('follower-') ? 'SCAN' : 'subscribe');
  const chat = (await (await sim(`/__sim/oa/chat?appid=${OFFICIAL!.appid}&user=${user}`)).json()) as Array<{
    from: string;
    content?: string;
  }>;
  const reply = chat.filter((m) => m.from === 'account').at(-1)?.content ?? '';
  expect(reply).toContain('你正在电脑上登录');
  return /href="([^"]+)"/.exec(reply)![1]!;
}

for (const mode of ['plaintext', 'safe'] as const) {
  test(`${mode} mode: scan, confirm on the phone, the desktop is signed in as the phone's customer`, async ({
    page,
    browser,
  }) => {
    await serverMode(mode);
    const { user: name, phone: number } = unique();
    // A new follower in plaintext mode, one who follows already in safe mode (subscribe, then SCAN).
    const user = mode === 'safe' ? `follower-${name}` : name;
    // The user bound a phone in the H5 app before: the desktop lands home as that customer.
    const phone = await phoneFor(browser, user);
    await phone.goto(`${cluster.origin}/`);
    await bind(phone, number, cluster.inbox);
    await expect(phone.getByRole('button', { name: '退出登录' })).toBeVisible();

    const ticket = await desktopQr(page);
    const link = await scanAndReadLink(ticket, user);
    await expect(page.getByRole('heading', { name: '已扫码' })).toBeVisible();
    if (mode === 'plaintext') await shot(page, 'follow-login-scanned');

    await phone.goto(link);
    await expect(phone.getByRole('heading', { name: /确认在电脑上登录/ })).toBeVisible();
    await expect(phone.getByText('Chrome · Linux')).toBeVisible();
    if (mode === 'plaintext') await shot(phone, 'follow-confirm');
    await phone.getByRole('button', { name: '确认登录' }).click();
    await expect(phone.getByRole('heading', { name: '已确认登录' })).toBeVisible();

    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
    await expect(page.getByText(`${number.slice(0, 3)}****${number.slice(-4)}`)).toBeVisible();
    await phone.context().close();
  });
}

test('cancel on the phone: the desktop says so and offers a new QR code', async ({ page, browser }) => {
  await serverMode('safe');
  const { user } = unique();
  const ticket = await desktopQr(page);
  const link = await scanAndReadLink(ticket, user);
  const phone = await phoneFor(browser, user);
  await phone.goto(link);
  await phone.getByRole('button', { name: '取消' }).click();
  await expect(phone.getByRole('heading', { name: '已取消登录' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '已取消登录' })).toBeVisible();
  await page.getByRole('button', { name: '刷新二维码' }).click();
  await expect(page.getByRole('heading', { name: '微信扫码关注登录' })).toBeVisible();
  await phone.context().close();
});

test('a new follower is signed in on the desktop and asked to bind there', async ({ page, browser }) => {
  await serverMode('plaintext');
  const { user, phone: number } = unique();
  const ticket = await desktopQr(page);
  const phone = await phoneFor(browser, user);
  await phone.goto(await scanAndReadLink(ticket, user));
  await phone.getByRole('button', { name: '确认登录' }).click();
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, number, cluster.inbox);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await phone.context().close();
});
