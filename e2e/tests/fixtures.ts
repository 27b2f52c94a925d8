import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export const env = {
  origin: process.env.E2E_REAL_ORIGIN!,
  sim: process.env.E2E_REAL_SIM!,
  sms: process.env.E2E_REAL_SMS!,
  verifyDir: process.env.E2E_REAL_VERIFY!,
  demoOrigin: process.env.E2E_DEMO_ORIGIN!,
  demoSim: process.env.E2E_DEMO_SIM!,
};

const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const RUN = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');
mkdirSync(RUN, { recursive: true });

/**
 * The page as <name>.png: into docs/screenshots (the README's) when that file is missing or
 * UPDATE_SCREENSHOTS=1, else into test-results/screenshots. Chromium's rendering differs by a pixel
 * or two between runs, so a plain test run never rewrites the committed pictures.
 */
export const shot = (page: Page, name: string) => {
  const docs = join(DOCS, `${name}.png`);
  const path = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(docs) ? docs : join(RUN, `${name}.png`);
  // Transitions finished, so a button caught just after a click looks the same on every run.
  return page.screenshot({ path, animations: 'disabled' });
};

/**
 * A WeChat user and phone number of this test's own, derived from its title: tests never share state
 * or rate limits, and the screenshots come out the same on every run (each run has a fresh database).
 */
export const unique = () => {
  const title = test.info().titlePath.join(' ');
  let hash = 7;
  for (const ch of title) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const n = String(hash % 100_000_000).padStart(8, '0');
  return { user: `u${n}`, phone: `139${n}` };
};

export const test = base.extend<{ wechatUser: (user: string, sim?: string) => Promise<void> }>({
  // Who the simulated WeChat thinks this browser is: its wxsim_user cookie on the simulator's origin.
  wechatUser: async ({ context }, use) => {
    await use(async (user, sim = env.sim) => {
      await context.addCookies([{ name: 'wxsim_user', value: user, url: sim }]);
    });
  },
});

export { expect };

/** Where a stack's SMS codes can be read: its gateway (real mode) or the demo inbox. */
export const inboxOf = { real: () => `${env.sms}/last`, demo: () => `${env.demoOrigin}/api/dev/sms-inbox` };

/** The SMS code the stack's gateway or demo inbox has for this phone. */
export async function smsCodeFor(phone: string, inbox = inboxOf.real()): Promise<string> {
  const url = `${inbox}?phone=${phone}`;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url);
    if (res.ok) return ((await res.json()) as { code: string }).code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS for ${phone}`);
}

/** Fills the bind page and submits it with the code that was sent. */
export async function bind(page: Page, phone: string, inbox?: string): Promise<void> {
  await page.getByLabel('手机号').fill(phone);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
  await page.getByLabel('验证码').fill(await smsCodeFor(phone, inbox));
  await page.getByRole('button', { name: '绑定并登录' }).click();
}

/** WeChat's link colour, as computed styles give it. */
export const LINK_COLOUR = 'rgb(87, 107, 149)';

/**
 * Whether `text` in the element (all its text by default) sits on one line: the box around it is less
 * than two font sizes high. Works whatever the markup, so it tells a mid-word wrap before and after a fix.
 */
export function onOneLine(locator: Locator, text?: string): Promise<boolean> {
  return locator.evaluate((el, text) => {
    const doc = el.ownerDocument;
    const range = doc.createRange();
    if (text === undefined) range.selectNodeContents(el);
    else {
      const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      let node = walker.nextNode();
      while (node && !node.textContent!.includes(text)) node = walker.nextNode();
      if (!node) throw new Error(`no text node with "${text}"`);
      const at = node.textContent!.indexOf(text);
      range.setStart(node, at);
      range.setEnd(node, at + text.length);
    }
    return range.getBoundingClientRect().height < 2 * parseFloat(doc.defaultView!.getComputedStyle(el).fontSize);
  }, text);
}
