import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bind, expect, LINK_COLOUR, shot, smsCodeFor, test, unique } from './fixtures';

test.use({ baseURL: async ({ real }, use) => use(real.origin) });

test('a new user: silent authorization, bind the phone, home', async ({ page, real, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  const seen: string[] = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(f.url()));

  await page.goto('/');
  await expect(page).toHaveURL(/\/bind$/);
  await expect(page.getByRole('heading', { name: '绑定手机号' })).toBeVisible();
  // WeChat sent the code to /auth, and it was gone from the address bar before anything else.
  expect(seen.some((u) => u.includes('/auth?code='))).toBe(true);
  expect(page.url()).not.toContain('code=');
  await shot(page, 'bind');

  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText(`${phone.slice(0, 3)}****${phone.slice(-4)}`)).toBeVisible();
  await shot(page, 'home');
});

test('a returning user goes straight home, with no page in between', async ({ browser, page, real, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/');
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/$/);

  // Next visit, in a new browser with no session: only /auth and WeChat on the way home.
  const again = await browser.newContext({ ...test.info().project.use, baseURL: real.origin });
  await again.addCookies([{ name: 'wxsim_user', value: user, url: real.simOrigin }]);
  const next = await again.newPage();
  const seen: string[] = [];
  next.on('framenavigated', (f) => f === next.mainFrame() && seen.push(new URL(f.url()).pathname));
  await next.goto('/');
  await expect(next.getByRole('button', { name: '退出登录' })).toBeVisible();
  expect(seen.filter((p) => p !== '/' && p !== '/auth' && p !== '/api/auth/wechat/authorize')).toEqual([]);
  expect(seen).not.toContain('/bind');
  await again.close();
});

test('snsapi_userinfo: the user allows, and the profile shows the nickname', async ({ page, real, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/profile');
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible();
  await shot(page, 'wechat-consent');
  await page.getByRole('button', { name: '允许' }).click();
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { name: `微信用户${user}` })).toBeVisible();
  await expect(page.getByRole('link', { name: '返回首页' })).toHaveCSS('color', LINK_COLOUR);
  await shot(page, 'profile');
});

test('snsapi_userinfo: the user refuses, and is told so with a way to try again', async ({ page, wechatUser }) => {
  const { user } = unique();
  await wechatUser(user);
  await page.goto('/profile');
  await page.getByRole('button', { name: '拒绝' }).click();
  await expect(page.getByRole('alert')).toHaveText('你已拒绝授权，登录需要你的授权。');
  expect(page.url()).toMatch(/\/auth$/);
  await shot(page, 'auth-refused');
  await page.getByRole('button', { name: '重新登录' }).click();
  await expect(page.getByRole('button', { name: '允许' })).toBeVisible();
});

test('after login, back and a re-opened callback link show no error', async ({ page, real, wechatUser }) => {
  const { user, phone } = unique();
  await wechatUser(user);
  let callback = '';
  page.on('request', (r) => r.url().includes('/auth?code=') && (callback = r.url()));
  await page.goto('/');
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/$/);

  await page.goBack();
  await expect(page.getByText('登录未完成')).toHaveCount(0);
  // The callback URL again (a refresh that beat the address-bar cleanup, a shared link): same browser,
  // the same code and state resume the login instead of failing with "code been used".
  await page.goto(callback);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await expect(page.getByText('登录未完成')).toHaveCount(0);
});

test("Back after binding shows WeChat's consent page again: 允许 and 拒绝 there both go on to the page", async ({
  page,
  real,
  wechatUser,
}) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/profile');
  await page.getByRole('button', { name: '允许' }).click();
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/profile$/);

  // The consent page is in the history, with the state of the login it gave; WeChat answers it again.
  for (const answer of ['允许', '拒绝']) {
    await page.goBack();
    await page.getByRole('button', { name: answer }).click();
    await expect(page).toHaveURL(/\/profile$/);
    await expect(page.getByRole('heading', { name: `微信用户${user}` })).toBeVisible();
    await expect(page.getByText('登录未完成')).toHaveCount(0);
  }
});

test('an expired session: silent re-authorization, back to the same page', async ({
  page,
  context,
  real,
  wechatUser,
}) => {
  const { user, phone } = unique();
  await wechatUser(user);
  await page.goto('/');
  await bind(page, phone, real.inbox);
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/?tab=orders');
  await context.clearCookies({ name: 'wxauth_sid' });
  await page.reload();
  await expect(page).toHaveURL(/\/\?tab=orders$/);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
});

test('a wrong SMS code, then the right one', async ({ page, real, wechatUser, consoleErrors }) => {
  consoleErrors.expectFailure(400, '/api/account/bind');
  const { user, phone } = unique();
  await wechatUser(user);
  // A clock the test holds still while the resend countdown shows, so the screenshot is the same on
  // every run.
  await page.clock.install();
  await page.goto('/');
  // The fields browsers and password managers recognise: a numeric keyboard, SMS code autofill.
  await expect(page.locator('input[name="phone"][type="tel"]')).toBeVisible();
  await expect(page.locator('input[name="smsCode"][autocomplete="one-time-code"][inputmode="numeric"]')).toBeVisible();
  await page.getByLabel('手机号').fill('12345');
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByText('请输入正确的手机号')).toBeVisible();
  await page.getByLabel('手机号').fill(phone);
  await page.clock.pauseAt(Date.now() + 1000);
  await page.getByRole('button', { name: '获取验证码' }).click();
  const code = await smsCodeFor(phone, real.inbox);
  await page.getByLabel('验证码').fill(code === '000000' ? '000001' : '000000');
  await page.getByRole('button', { name: '绑定并登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('验证码错误，还可尝试 4 次');
  await shot(page, 'bind-wrong-code');
  await page.clock.resume();
  await page.getByLabel('验证码').fill(code);
  await page.getByRole('button', { name: '绑定并登录' }).click();
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
});

test('a snapshot-page user is told to open the full page', async ({ page, wechatUser, consoleErrors }) => {
  consoleErrors.expectFailure(403, '/api/auth/wechat/login');
  await wechatUser(`snapshot-${unique().user}`);
  // /profile asks for snsapi_userinfo, which WeChat grants a snapshot page silently (快照页模式).
  await page.goto('/profile');
  await expect(page.getByRole('alert')).toHaveText('请点击"使用完整服务"打开完整页面后再登录。');
});

test('MP_verify: byte-exact as text/plain from dist/, and from the mounted folder without a rebuild', async ({
  request,
  real,
}) => {
  const shipped = 'MP_verify_wxauthDemoVerifyToken0.txt';
  const res = await request.get(`/${shipped}`);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^text\/plain/);
  expect(await res.body()).toEqual(readFileSync(join(import.meta.dirname, '../../public', shipped)));

  writeFileSync(join(real.verifyDir, 'MP_verify_DeployTime42.txt'), 'DeployTime42');
  const mounted = await request.get('/MP_verify_DeployTime42.txt');
  expect(mounted.headers()['content-type']).toMatch(/^text\/plain/);
  expect(await mounted.text()).toBe('DeployTime42');
  expect((await request.get('/MP_verify_Missing.txt')).status()).toBe(404);
});

test('nginx: security headers, caching, /internal/ and /metrics closed, the SPA fallback', async ({ request }) => {
  const auth = await request.get('/auth');
  const csp = auth.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("img-src 'self' data:;");
  expect(csp).not.toMatch(/https?:\/\//);
  expect(auth.headers()['referrer-policy']).toBe('no-referrer');
  expect(auth.headers()['x-content-type-options']).toBe('nosniff');
  expect(auth.headers()['cache-control']).toBe('no-cache');
  expect(auth.headers()['strict-transport-security']).toBeUndefined();
  const html = await auth.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const js = await request.get(asset, { headers: { 'accept-encoding': 'gzip' } });
  expect(js.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(js.headers()['content-encoding']).toBe('gzip');
  expect((await request.post('/internal/customers/1/revoke-wechat')).status()).toBe(404);
  // The BFF's metrics are for the scraper on its own port: through nginx, /metrics is just the app.
  expect(await (await request.get('/metrics')).text()).not.toContain('wxauth_');
  expect((await request.get('/api/session')).headers()['cache-control']).toBe('no-store');
  expect((await request.get('/orders/42')).status()).toBe(200);
});
