import type { BrowserContext, Page } from '@playwright/test';
import { bind, expect, test, unique } from './fixtures';

// The company's own service behind the repository's nginx, protected with wxauth/protect.conf.
test.use({ baseURL: async ({ hosted }, use) => use(hosted.origin) });

interface Seen {
  url: string;
  headers: Record<string, string>;
}
const seenBy = async (page: Page): Promise<Seen> => JSON.parse((await page.locator('body').textContent())!) as Seen;
const identity = (seen: Seen) =>
  Object.fromEntries(Object.entries(seen.headers).filter(([k]) => k.startsWith('x-auth-request-')));

async function asWechatUser(context: BrowserContext, simOrigin: string, user: string): Promise<void> {
  await context.addCookies([{ name: 'wxsim_user', value: user, url: simOrigin }]);
}

/** A new WeChat user of this test's own opens /orders/1, logs in, binds a phone and lands there. */
async function signInAsCustomer(page: Page, context: BrowserContext, hosted: { simOrigin: string; inbox: string }) {
  const { user, phone } = unique();
  await asWechatUser(context, hosted.simOrigin, user);
  await page.goto('/orders/1');
  await bind(page, phone, hosted.inbox);
  await expect(page).toHaveURL(/\/orders\/1$/);
}

test('a signed-out user opening a protected page logs in, binds, and lands on it; the service sees who it is', async ({
  page,
  context,
  hosted,
}) => {
  const { user, phone } = unique();
  await asWechatUser(context, hosted.simOrigin, user);
  await page.goto('/orders/7?tab=paid');
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, hosted.inbox);
  await expect(page).toHaveURL(/\/orders\/7\?tab=paid$/);
  const seen = await seenBy(page);
  expect(seen.url).toBe('/orders/7?tab=paid');
  expect(identity(seen)).toMatchObject({
    'x-auth-request-bound': 'true',
    'x-auth-request-user': expect.stringMatching(/^\d+$/),
    'x-auth-request-openid': expect.any(String),
    'x-auth-request-appid': expect.stringMatching(/^wx/),
    'x-auth-request-phone': phone,
    'x-auth-request-phone-masked': `${phone.slice(0, 3)}****${phone.slice(-4)}`,
  });
  // And the browser never sees them.
  const res = await page.request.get('/orders/8');
  expect(Object.keys(res.headers()).filter((k) => k.startsWith('x-auth-request-'))).toEqual([]);
});

test('a request that brings identity headers of its own is refused before any location runs', async ({
  page,
  context,
  hosted,
}) => {
  await signInAsCustomer(page, context, hosted);
  const real = identity(await seenBy(page));
  expect(real['x-auth-request-user']).toMatch(/^\d+$/);
  for (const [name, path] of [
    ['X-Auth-Request-User', '/orders/2'],
    ['x-auth-request-phone', '/feed/x'],
    ['X-Auth-Request-Unionid', '/open/x'],
    ['X-Forwarded-User', '/orders/2'],
    ['X-Auth-Request-Email', '/api/session'],
  ]) {
    const res = await page.request.get(path!, { headers: { [name!]: '999999' }, maxRedirects: 0 });
    expect([name, path, res.status()]).toEqual([name, path, 400]);
  }
  // Without them, the same requests pass, with the real identity.
  await page.goto('/orders/2');
  expect(identity(await seenBy(page))).toEqual(real);
  await page.goto('/open/x');
  expect(identity(await seenBy(page))).toEqual({});
});

test("a Cookie header grown big with other sites' cookies still passes the check", async ({
  page,
  context,
  hosted,
}) => {
  await signInAsCustomer(page, context, hosted);
  const sid = (await context.cookies()).find((c) => c.name.endsWith('wxauth_sid'))!;
  // Each line within nginx's 8 KB, all of them past Node's default 16 KB.
  const padding = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`x-sibling-${i}`, 'p'.repeat(3000)]));
  const cookie = `sibling=${'x'.repeat(7000)}; ${sid.name}=${sid.value}`;
  const res = await page.request.get('/orders/5', { headers: { cookie, ...padding } });
  expect(res.status()).toBe(200);
  expect(((await res.json()) as Seen).headers['x-auth-request-bound']).toBe('true');
});

test('an unbound user passes /feed/ (any session) but is sent to bind for /orders/ (customers only)', async ({
  page,
  context,
  hosted,
}) => {
  const { user } = unique();
  await asWechatUser(context, hosted.simOrigin, user);
  await page.goto('/auth');
  await expect(page).toHaveURL(/\/bind$/);
  await page.goto('/feed/today');
  const seen = identity(await seenBy(page));
  expect(seen).toMatchObject({ 'x-auth-request-bound': 'false', 'x-auth-request-openid': expect.any(String) });
  expect(seen).not.toHaveProperty('x-auth-request-user');
  expect(seen).not.toHaveProperty('x-auth-request-phone');
  await page.goto('/orders/3');
  await expect(page).toHaveURL(/\/bind$/);
});

test('an API call without a session is a 401 JSON, never a redirect', async ({ request, hosted }) => {
  const res = await request.get(`${hosted.origin}/orders/api/list`, {
    headers: { accept: 'application/json' },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(401);
  expect(await res.json()).toMatchObject({ error: { code: 'SESSION_REQUIRED' } });
});

test('an API call of any method without a session is a 401 JSON', async ({ request, hosted }) => {
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const res = await request.fetch(`${hosted.origin}/orders/api/list`, {
      method,
      data: { item: 1 },
      headers: { accept: 'application/json' },
      maxRedirects: 0,
    });
    expect([method, res.status(), ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
      method,
      401,
      'SESSION_REQUIRED',
    ]);
  }
});

test("after the host system's revoke, the next request is refused and goes through the login", async ({
  page,
  context,
  hosted,
}) => {
  await signInAsCustomer(page, context, hosted);
  const customer = identity(await seenBy(page))['x-auth-request-user'];
  const revoke = await fetch(`${hosted.bffs[0]!.url}/internal/customers/${customer}/revoke-wechat`, {
    method: 'POST',
    headers: { authorization: 'Bearer e2e-internal-token-0123456789abcdefghij' },
  });
  expect(revoke.status).toBe(204);
  const after = await page.request.get('/orders/1', { maxRedirects: 0, headers: { accept: 'text/html' } });
  expect(after.status()).toBe(302);
  expect(after.headers()['location']).toBe(`/auth?returnTo=${encodeURIComponent('/orders/1')}`);
});

test('a deep link inside WeChat leaves for WeChat from nginx: no HTML and no script before it', async ({
  page,
  context,
  hosted,
}) => {
  const { user, phone } = unique();
  await asWechatUser(context, hosted.simOrigin, user);
  const before: string[] = [];
  let atWechat = false;
  page.on('request', (r) => {
    if (r.url().startsWith(hosted.simOrigin)) atWechat = true;
    if (!atWechat) before.push(`${r.resourceType()} ${new URL(r.url()).pathname}`);
  });
  await page.goto('/?from=share');
  expect(before).toEqual(['document /']);
  await expect(page).toHaveURL(/\/bind$/);
  await bind(page, phone, hosted.inbox);
  // Back where the link pointed, its query kept.
  await expect(page).toHaveURL(/\/\?from=share$/);
});

test('the same deep link outside WeChat goes to the open-in-WeChat page', async ({ browser, hosted }) => {
  const desktop = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130 Safari/537.36' });
  const page = await desktop.newPage();
  await page.goto(`${hosted.origin}/profile?from=share`);
  expect(page.url()).toBe(`${hosted.origin}/open-in-wechat?returnTo=${encodeURIComponent('/profile?from=share')}`);
  await desktop.close();
});
