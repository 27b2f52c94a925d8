import { bind, env, expect, shot, test, unique } from './fixtures';

test('outside WeChat (real mode): open-in-WeChat page with a QR code of the link', async ({ page }) => {
  await page.goto(`${env.origin}/?from=share`);
  await expect(page).toHaveURL(/\/open-in-wechat\?returnTo=/);
  await expect(page.getByRole('heading', { name: '请在微信中打开' })).toBeVisible();
  await expect(page.getByAltText('当前页面的二维码')).toBeVisible();
  await expect(page.getByText(`${env.origin}/?from=share`)).toBeVisible();
  await expect(page.getByText('模拟微信')).toHaveCount(0);
  await shot(page, 'open-in-wechat');
});

test('demo mode: a desktop browser walks the whole journey under the 模拟微信 banner', async ({ page, context }) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: env.demoSim }]);
  await page.goto(`${env.demoOrigin}/`);
  await expect(page).toHaveURL(/\/bind$/);
  await expect(page.getByText('模拟微信')).toBeVisible();
  await bind(page, phone, env.demoOrigin);
  await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  await expect(page.getByText('模拟微信')).toBeVisible();
});

test('demo mode: the bind page says where to read the SMS code', async ({ page, context }) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: env.demoSim }]);
  await page.goto(`${env.demoOrigin}/`);
  await page.getByLabel('手机号').fill(phone);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByRole('link', { name: `/api/dev/sms-inbox?phone=${phone}` })).toBeVisible();
  await shot(page, 'bind-demo');
});
