import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { bind, expect, LINK_COLOUR, shot, smsCodeFor, type Stack, test, unique } from './fixtures';

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
  await expect(page.getByRole('alert')).toHaveText('你已拒绝授权，登录需要你的授权');
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
  await expect(page.getByRole('alert')).toHaveText('请点击"使用完整服务"打开完整页面后再登录');
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

// Issue 23, "the bind form's finish": what a person sees on the bind page and home, measured.
test.describe("the bind form's finish", () => {
  /** To the bind page of `stack` (the real one unless told) as this test's own WeChat user. */
  async function toBind(page: Page, stack: Stack): Promise<string> {
    const { user, phone } = unique();
    await page.context().addCookies([{ name: 'wxsim_user', value: user, url: stack.simOrigin }]);
    await page.goto(`${stack.origin}/`);
    await expect(page.getByRole('heading', { name: '绑定手机号' })).toBeVisible();
    return phone;
  }

  test('the code field after 获取验证码: one focus indicator, its row, in the card’s shape', async ({ page, real }) => {
    const phone = await toBind(page, real);
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    const code = page.getByLabel('验证码', { exact: true });
    await expect(code).toBeFocused();
    const drawn = await code.evaluate((input) => {
      const card = input.closest('.van-cell-group')!;
      const rect = (el: Element) => el.getBoundingClientRect();
      // What marks focus, from the input up to the card: an outline or a shadow, where it is drawn.
      const marks: { kind: string; edge?: Record<string, number>; radii?: string[] }[] = [];
      for (let el: Element | null = input; el && el !== card.parentElement; el = el.parentElement) {
        const s = getComputedStyle(el);
        const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
        if (width > 0) {
          const out = width + parseFloat(s.outlineOffset);
          const r = rect(el);
          marks.push({
            kind: 'outline',
            edge: { top: r.top - out, bottom: r.bottom + out, left: r.left - out, right: r.right + out },
            radii: [s.borderTopLeftRadius, s.borderTopRightRadius, s.borderBottomRightRadius, s.borderBottomLeftRadius],
          });
        }
        if (s.boxShadow !== 'none') marks.push({ kind: `shadow ${s.boxShadow}` });
      }
      const c = rect(card);
      const cs = getComputedStyle(card);
      return {
        marks,
        card: { top: c.top, bottom: c.bottom, left: c.left, right: c.right },
        radius: cs.borderBottomLeftRadius,
      };
    });
    expect(drawn.marks.map((m) => m.kind)).toEqual(['outline']);
    const { edge, radii } = drawn.marks[0] as Required<(typeof drawn.marks)[0]>;
    // The code's row is the card's last: the ring is its outer edge, inside the card (nothing clipped),
    // square where the row meets the phone's, rounded as the card is at the card's corners.
    expect(edge.left).toBeCloseTo(drawn.card.left, 0);
    expect(edge.right).toBeCloseTo(drawn.card.right, 0);
    expect(edge.bottom).toBeCloseTo(drawn.card.bottom, 0);
    expect(edge.top).toBeGreaterThan(drawn.card.top + 20);
    expect(radii).toEqual(['0px', '0px', drawn.radius, drawn.radius]);
    expect(drawn.radius).not.toBe('0px');
  });

  test('获取验证码 and its countdown sit on the 验证码 label’s line', async ({ page, real }) => {
    const phone = await toBind(page, real);
    /** The middle of the line `text` is on, in `within`, in CSS pixels from the top. */
    const middle = (within: string, text: string) =>
      page.locator(within).evaluate((el, text) => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const at = node.textContent!.indexOf(text);
          if (at < 0) continue;
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + text.length);
          const r = range.getBoundingClientRect();
          return (r.top + r.bottom) / 2;
        }
        throw new Error(`no "${text}"`);
      }, text);
    const row = '.van-field:has(input[name="smsCode"])';
    const label = await middle(`${row} .van-field__label`, '验证码');
    expect(Math.abs((await middle(`${row} .van-field__button`, '获取验证码')) - label)).toBeLessThanOrEqual(1);
    await page.getByLabel('手机号').fill(phone);
    await page.clock.install();
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
    expect(Math.abs((await middle(`${row} .van-field__button`, '秒后重发')) - label)).toBeLessThanOrEqual(1);
  });

  test('every message in one place below the card, apart from the demo hint; a wrong code is cleared to retype', async ({
    page,
    demo,
    consoleErrors,
  }) => {
    consoleErrors.expectFailure(400, '/api/account/bind');
    const phone = await toBind(page, demo);
    const card = page.locator('.van-cell-group');
    const message = page.locator('form [role="alert"]:not(:empty)');
    const below = async () =>
      (await message.boundingBox())!.y >= (await card.boundingBox())!.y + (await card.boundingBox())!.height;

    await page.getByLabel('手机号').fill('12345');
    await page.getByRole('button', { name: '获取验证码' }).click();
    await expect(message).toHaveText('请输入正确的手机号');
    const first = await message.elementHandle();
    await expect(card).not.toContainText('请输入');
    expect(await below()).toBe(true);

    await page.getByLabel('手机号').fill(phone);
    await expect(message).toHaveCount(0);
    await page.getByRole('button', { name: '获取验证码' }).click();
    const code = await smsCodeFor(phone, demo.inbox);
    const field = page.getByLabel('验证码', { exact: true });
    await field.fill('123');
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await expect(message).toHaveText('请输入 6 位数字验证码');
    await expect(card).not.toContainText('请输入');
    expect(await message.evaluate((el, first) => el === first, first)).toBe(true);

    await field.fill(code === '000000' ? '000001' : '000000');
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await expect(message).toHaveText('验证码错误，还可尝试 4 次');
    expect(await message.evaluate((el, first) => el === first, first)).toBe(true);
    expect(await below()).toBe(true);
    // The demo's hint below it, a line's gap apart rather than touching.
    const hint = (await page.locator('.demo-hint').boundingBox())!;
    const said = (await message.boundingBox())!;
    expect(hint.y - (said.y + said.height)).toBeGreaterThanOrEqual(8);
    // The wrong code is gone and the field has the focus: the right one is typed straight in.
    await expect(field).toHaveValue('');
    await expect(field).toBeFocused();
    await expect(message).toHaveText('验证码错误，还可尝试 4 次');
    await page.keyboard.type(code);
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await expect(page.getByRole('button', { name: '退出登录' })).toBeVisible();
  });

  test('every button a pill: 重新登录 and 重试 as round as the bind page’s and home’s', async ({ page, real }) => {
    const pill = async (name: string) =>
      page.getByRole(name === '重试' ? 'link' : 'button', { name }).evaluate((el) => {
        const { height } = el.getBoundingClientRect();
        return parseFloat(getComputedStyle(el).borderTopLeftRadius) >= height / 2;
      });
    await page.goto(`${real.origin}/auth?error=WECHAT_BUSY`);
    expect(await pill('重新登录')).toBe(true);
    await page.goto(`${real.origin}/unavailable?returnTo=%2F`);
    expect(await pill('重试')).toBe(true);
    const phone = await toBind(page, real);
    expect(await pill('绑定并登录')).toBe(true);
    await bind(page, phone, real.inbox);
    expect(await pill('退出登录')).toBe(true);
  });

  test('one avatar rule: a picture the same size and shape before the profile is fetched and after', async ({
    page,
    real,
  }) => {
    const phone = await toBind(page, real);
    await bind(page, phone, real.inbox);
    const avatar = page.locator('.profile .avatar');
    const look = () =>
      avatar.evaluate((el) => {
        const { width, height } = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        return { tag: el.tagName, text: el.textContent, width, height, radius: s.borderRadius };
      });
    await expect(page.getByRole('heading', { name: '微信用户' })).toBeVisible();
    const before = await look();
    // WeChat's default picture, not a letter that reads as someone's own.
    expect(await avatar.getAttribute('src')).toMatch(/^data:image\/svg\+xml|\.svg$/);

    await page.goto(`${real.origin}/profile`);
    await page.getByRole('button', { name: '允许' }).click();
    await page.getByRole('link', { name: '返回首页' }).click();
    await expect(page.getByRole('heading', { name: /^微信用户u/ })).toBeVisible();
    const after = await look();
    expect(await avatar.getAttribute('src')).toContain('/__sim/avatar/');
    expect(before).toEqual(after);
    expect(before).toMatchObject({ tag: 'IMG', text: '' });
  });
});
