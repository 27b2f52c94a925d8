import { devices } from '@playwright/test';
import { WECHAT_UA } from '../stack.mjs';
import { expect, shot, test } from './fixtures';

test.describe('in WeChat', () => {
  const { defaultBrowserType: _browser, ...iphone } = devices['iPhone 13'];
  test.use({ ...iphone, userAgent: WECHAT_UA });

  test('two subdomain sites log the same user in through the one proxy', async ({ page, context, proxied, sites }) => {
    await context.addCookies([{ name: 'wxsim_user', value: 'proxy-alice', url: proxied.simOrigin }]);
    const hosts: string[] = [];
    // The proxy answers with redirects, which never commit a page: watch the requests.
    page.on('request', (r) => r.isNavigationRequest() && hosts.push(new URL(r.url()).host));

    await page.goto(`${sites.passport}/login`);
    await expect(page.getByRole('heading', { name: 'passport：登录成功' })).toBeVisible();
    await expect(page.getByText('state: passport-h5')).toBeVisible();
    const openid = (await page.getByText(/^openid: o/).textContent())!;
    await shot(page, 'proxy-passport');

    await page.goto(`${sites.trade}/login?scope=snsapi_userinfo`);
    await page.getByRole('button', { name: '允许' }).click();
    await expect(page.getByRole('heading', { name: 'trade：登录成功' })).toBeVisible();
    await expect(page.getByText(openid)).toBeVisible();
    expect(hosts).toContain(`proxy.example.test:${proxied.port}`);
  });

  test("a refusal comes back to the site with the site's own state", async ({ page, context, proxied, sites }) => {
    await context.addCookies([{ name: 'wxsim_user', value: 'proxy-bob', url: proxied.simOrigin }]);
    await page.goto(`${sites.passport}/login?scope=snsapi_userinfo`);
    await page.getByRole('button', { name: '拒绝' }).click();
    await expect(page.getByRole('heading', { name: 'passport：用户拒绝授权' })).toBeVisible();
    await expect(page.getByText('state: passport-h5')).toBeVisible();
  });

  test('a link to a host that is not allowed stops at a page that says why', async ({
    page,
    proxied,
    consoleErrors,
  }) => {
    // The refusal itself, and the icon the browser then asks the proxy's host for.
    consoleErrors.expectFailure(400, '/');
    consoleErrors.expectFailure(404, '/favicon.ico');
    const q = new URLSearchParams({
      appid: 'wx00000000000000de',
      redirect_uri: 'https://evil.example.org/steal',
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'x',
    });
    const res = await page.goto(`${proxied.proxyOrigin}/?${q}`);
    expect(res!.status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText('evil.example.org 不在 WX_PROXY_ALLOWED_HOSTS 中');
    expect(new URL(page.url()).host).toBe(`proxy.example.test:${proxied.port}`);
    await shot(page, 'proxy-refused');
  });
});

test('on a PC: device=pc goes through the QR login page', async ({ page, context, proxied, sites }) => {
  await context.addCookies([{ name: 'wxsim_user', value: 'proxy-carol', url: proxied.simOrigin }]);
  await page.goto(`${sites.trade}/login?device=pc`);
  await expect(page.getByRole('img', { name: '登录二维码（模拟）' })).toBeVisible();
  await shot(page, 'proxy-qrconnect');
  await page.getByRole('button', { name: '模拟扫码并确认登录' }).click();
  await expect(page.getByRole('heading', { name: 'trade：登录成功' })).toBeVisible();
  await expect(page.getByText('state: trade-pc')).toBeVisible();
  await expect(page.getByText(/^openid: o/)).toBeVisible();
});
