import { devices, type Page } from '@playwright/test';
import { bind, expect, INTERNAL_TOKEN, test, unique } from './fixtures';

// wxauth as an OpenID Connect provider, through the repository's nginx: the company's other app (the
// RP, on 127.0.0.1 while wxauth is localhost) signs its users in with openid-client, in WeChat's browser.

interface Claims {
  sub: string;
  phone_number?: string;
  appid?: string;
  openid?: string;
}
const claimsOn = async (page: Page): Promise<Claims> =>
  JSON.parse((await page.locator('body').textContent())!) as Claims;

test('a new WeChat user binds and lands in the RP signed in; a returning one passes silently; a host revoke reaches the RP by back-channel', async ({
  page,
  context,
  oidc,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  const callback = new RegExp(`^${oidc.rp.origin}/callback\\?`);

  await page.goto(`${oidc.rp.origin}/login`);
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(callback);
  const first = await claimsOn(page);
  expect(first).toMatchObject({
    sub: expect.stringMatching(/^\d+$/),
    phone_number: `+86${phone}`,
    appid: expect.stringMatching(/^wx/),
    openid: expect.any(String),
  });

  // Returning: no page of wxauth's on the way, the same customer.
  await page.goto(`${oidc.rp.origin}/login`);
  await expect(page).toHaveURL(callback);
  expect((await claimsOn(page)).sub).toBe(first.sub);
  expect(oidc.rp.logouts).toEqual([]);

  // The host ends the customer's WeChat bindings: the RP is told, with a logout token for them.
  const revoked = await fetch(`${oidc.bffs[0]!.url}/internal/customers/${first.sub}/revoke-wechat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
  });
  expect(revoked.status).toBe(204);
  expect(oidc.rp.logouts).toHaveLength(1);
  const [, payload] = oidc.rp.logouts[0]!.split('.');
  expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
    sub: first.sub,
    aud: 'rp',
    iss: `${oidc.origin}/oidc`,
  });
});

test('RP-initiated logout: the RP sends the user to wxauth, who confirms and comes back to the RP signed out of both', async ({
  page,
  context,
  oidc,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  await page.goto(`${oidc.rp.origin}/login`);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(new RegExp(`^${oidc.rp.origin}/callback\\?`));
  expect((await page.request.get(`${oidc.origin}/api/session`)).status()).toBe(200);

  await page.goto(`${oidc.rp.origin}/logout`);
  await expect(page).toHaveURL(new RegExp(`^${oidc.origin}/oidc/session/end`));
  await page.getByRole('button', { name: '退出' }).click();
  await expect(page).toHaveURL(`${oidc.rp.origin}/bye?state=bye`);
  expect((await page.request.get(`${oidc.origin}/api/session`)).status()).toBe(401);
});

test("only the provider's sign-out pages may send a form beyond the origin (to a client's post-logout address)", async ({
  page,
  oidc,
}) => {
  const formAction = async (path: string) =>
    /form-action ([^;]+)/.exec(
      (await page.request.get(`${oidc.origin}${path}`)).headers()['content-security-policy']!,
    )?.[1];
  expect(await formAction('/oidc/session/end')).toBe("'self' https: http://127.0.0.1:*");
  for (const path of ['/', '/auth', '/bind', '/oidc/.well-known/openid-configuration', '/api/session'])
    expect([path, await formAction(path)]).toEqual([path, "'self'"]);
});

test("on a desktop: the RP sends the user to WeChat's QR login, and they land in the RP signed in after binding", async ({
  browser,
  oidc,
}) => {
  const { user, phone } = unique();
  // A desktop browser of its own: this project's contexts are WeChat on a phone.
  const { defaultBrowserType: _chromium, ...desktop } = devices['Desktop Chrome'];
  const context = await browser.newContext(desktop);
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  const page = await context.newPage();
  await page.goto(`${oidc.rp.origin}/login`);
  await expect(page).toHaveURL(/\/open-in-wechat/);
  await page.frameLocator('iframe[title="微信扫码登录"]').getByRole('button', { name: '模拟扫码并确认登录' }).click();
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(new RegExp(`^${oidc.rp.origin}/callback\\?`));
  expect(await claimsOn(page)).toMatchObject({ sub: expect.stringMatching(/^\d+$/), phone_number: `+86${phone}` });
  await context.close();
});

test('refresh rotation through nginx: the RP refreshes once and gets a new refresh token; the spent one is refused', async ({
  page,
  context,
  oidc,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  await page.goto(`${oidc.rp.origin}/login`);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(new RegExp(`^${oidc.rp.origin}/callback\\?`));
  const { sub } = await claimsOn(page);

  await page.goto(`${oidc.rp.origin}/refresh`);
  expect(JSON.parse((await page.locator('body').textContent())!)).toEqual({
    sub,
    rotated: true,
    reuse: 'invalid_grant',
  });
});

test("another company's app: a consent page in the H5 app's style; 同意 and the user lands in it signed in, the next time without asking", async ({
  page,
  context,
  oidc,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  const callback = new RegExp(`^${oidc.partner.origin}/callback\\?`);

  await page.goto(`${oidc.partner.origin}/login`);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(new RegExp(`^${oidc.origin}/authorize-app\\?uid=`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('合作伙伴商城 申请使用你的账号登录');
  for (const scope of ['你的账号标识', '手机号', '微信身份（openid、unionid）'])
    await expect(page.getByText(scope)).toBeVisible();
  await page.getByRole('button', { name: '同意' }).click();
  await expect(page).toHaveURL(callback);
  expect(await claimsOn(page)).toMatchObject({ sub: expect.stringMatching(/^\d+$/), phone_number: `+86${phone}` });

  // Granted already: straight back to the app.
  await page.goto(`${oidc.partner.origin}/login`);
  await expect(page).toHaveURL(callback);
});

test("another company's app: 拒绝 sends the user back to it with access_denied", async ({ page, context, oidc }) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  await page.goto(`${oidc.partner.origin}/login`);
  await bind(page, phone, oidc.inbox);
  await page.getByRole('button', { name: '拒绝' }).click();
  await expect(page).toHaveURL(new RegExp(`^${oidc.partner.origin}/callback\\?.*error=access_denied`));
  // The RP checked the state it sent before believing the answer.
  await expect(page.locator('body')).toHaveText('refused: access_denied');
});

test("Apache with the docs' mod_auth_openidc block: a new WeChat user binds and lands on its protected page with their claims; a returning one passes silently", async ({
  page,
  context,
  oidc,
}) => {
  const { user, phone } = unique();
  await context.addCookies([{ name: 'wxsim_user', value: user, url: oidc.simOrigin }]);
  const claims = `${oidc.apache.origin}/claims`;

  await page.goto(claims);
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, oidc.inbox);
  await expect(page).toHaveURL(claims);
  const first = await claimsOn(page);
  expect(first).toEqual({
    sub: expect.stringMatching(/^\d+$/),
    phone_number: `+86${phone}`,
    // OIDCRemoteUserClaim sub
    remote_user: first.sub,
  });

  // A new browser session at Apache (its cookie gone), still signed in at wxauth: straight back.
  await context.clearCookies({ domain: '127.0.0.1' });
  await page.goto(claims);
  await expect(page).toHaveURL(claims);
  expect((await claimsOn(page)).sub).toBe(first.sub);
});
