// pnpm bench:lighthouse — Lighthouse (mobile: its default Moto G Power screen, slow 4G and 4× CPU
// throttling, simulated) on each page of the H5 app, through the repository's nginx, so compression
// and caching are the real ones. Debian's Chromium, started here with the flags this closed network
// needs; the state a page needs (a WeChat session, a bound phone, the profile's consent) is made first
// in the same browser by Playwright, and kept: Lighthouse's storage reset would sign the user out, so
// only the HTTP cache is cleared before each run (a cold load). Median of RUNS runs per page (3).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { CHROMIUM, freePorts, startStack, WECHAT_UA } from './stack.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const CATEGORIES = ['performance', 'accessibility', 'best-practices'];
// Lighthouse's own mobile user agent, for the page meant for other browsers.
const ANDROID_CHROME =
  'Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Mobile Safari/537.36';

const stack = await startStack({ demo: false });
const [port] = await freePorts(1);
const profile = mkdtempSync(join(tmpdir(), 'wxauth-lighthouse-'));
const chrome = spawn(
  CHROMIUM.executablePath,
  [
    '--headless',
    ...CHROMIUM.args,
    `--remote-debugging-port=${port}`,
    `--user-data-dir=${profile}`,
    '--disable-extensions',
    'about:blank',
  ],
  { stdio: 'ignore' },
);

async function cdpUp() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/json/version`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Chromium did not open its debugging port');
}

/** Playwright in Lighthouse's browser (its default context: the cookies Lighthouse's tab will have). */
async function withPage(fn) {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  const page = await browser.contexts()[0].newPage();
  try {
    await fn(page);
  } finally {
    await page.close();
    await browser.close();
  }
}

/** The page's user agent, as the app reads it (navigator.userAgent) and nginx sees it. */
async function userAgent(page, ua) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.setUserAgentOverride', { userAgent: ua });
}

async function smsCode(phone) {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${stack.inbox}?phone=${phone}`);
    if (res.ok) return (await res.json()).code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS for ${phone}`);
}

/** One Lighthouse run of `url` as a phone with `ua`, the HTTP cache emptied first. */
async function audit(url, ua) {
  await withPage(async (page) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
  });
  const { lhr } = await lighthouse(
    url,
    { port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES, disableStorageReset: true },
    { extends: 'lighthouse:default', settings: { formFactor: 'mobile', emulatedUserAgent: ua } },
  );
  return lhr;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const score = (lhr, id) => Math.round(lhr.categories[id].score * 100);

/** What keeps a page from 100: failed audits that count in a category, most weight first. */
function remaining(lhr) {
  const items = new Map();
  for (const id of CATEGORIES)
    for (const ref of lhr.categories[id].auditRefs) {
      const a = lhr.audits[ref.id];
      if (a.score === null || a.score >= 0.9 || a.scoreDisplayMode === 'informative') continue;
      if (ref.weight === 0 && a.details?.type !== 'opportunity') continue;
      const value = a.displayValue ? ` (${a.displayValue})` : '';
      items.set(ref.id, `${a.title}${value}`);
    }
  return [...items.values()];
}

async function measure(name, url, ua) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await audit(url, ua));
  // The run with the median performance score speaks for the page.
  const byPerf = [...runs].sort((a, b) => score(a, 'performance') - score(b, 'performance'));
  const lhr = byPerf[Math.floor(runs.length / 2)];
  const metric = (id) => lhr.audits[id].numericValue;
  const js = lhr.audits['network-requests'].details.items
    .filter((r) => r.resourceType === 'Script')
    .reduce((sum, r) => sum + r.transferSize, 0);
  return {
    name,
    url: new URL(url).pathname + new URL(url).search,
    performance: median(runs.map((r) => score(r, 'performance'))),
    accessibility: Math.min(...runs.map((r) => score(r, 'accessibility'))),
    bestPractices: Math.min(...runs.map((r) => score(r, 'best-practices'))),
    fcp: metric('first-contentful-paint'),
    lcp: metric('largest-contentful-paint'),
    tbt: metric('total-blocking-time'),
    cls: metric('cumulative-layout-shift'),
    js,
    unusedJs: lhr.audits['unused-javascript'].details?.overallSavingsBytes ?? 0,
    remaining: remaining(lhr),
  };
}

const rows = [];
try {
  await cdpUp();
  const o = stack.origin;
  rows.push(await measure('auth, a message (`WECHAT_BUSY`)', `${o}/auth?error=WECHAT_BUSY`, WECHAT_UA));
  rows.push(await measure('open in WeChat (another browser)', `${o}/open-in-wechat?returnTo=%2F`, ANDROID_CHROME));
  rows.push(await measure('unavailable', `${o}/unavailable?returnTo=%2F`, WECHAT_UA));

  // A new WeChat user, signed in silently: the bind page.
  const phone = '13900019019';
  await withPage(async (page) => {
    await userAgent(page, WECHAT_UA);
    await page.context().addCookies([{ name: 'wxsim_user', value: 'lighthouse', url: stack.simOrigin }]);
    await page.goto(`${o}/`);
    await page.waitForURL(/\/bind$/);
  });
  rows.push(await measure('bind', `${o}/bind`, WECHAT_UA));

  // The phone bound: home; then the profile, after WeChat's consent (snsapi_userinfo).
  await withPage(async (page) => {
    await userAgent(page, WECHAT_UA);
    await page.goto(`${o}/bind`);
    await page.getByLabel('手机号').fill(phone);
    await page.getByRole('button', { name: '获取验证码' }).click();
    await page.getByLabel('验证码', { exact: true }).fill(await smsCode(phone));
    await page.getByRole('button', { name: '绑定并登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
  });
  rows.push(await measure('home', `${o}/`, WECHAT_UA));
  await withPage(async (page) => {
    await userAgent(page, WECHAT_UA);
    await page.goto(`${o}/profile`);
    await page.getByRole('button', { name: '允许' }).click();
    await page.waitForURL(/\/profile$/);
  });
  rows.push(await measure('profile', `${o}/profile`, WECHAT_UA));
} finally {
  chrome.kill();
  await new Promise((r) => (chrome.exitCode != null ? r() : chrome.once('exit', r)));
  rmSync(profile, { recursive: true, force: true });
  await stack.stop();
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(`
${new Date().toISOString().slice(0, 10)} · Lighthouse 12 (mobile, simulated slow 4G, 4× CPU) · Debian Chromium through nginx · performance the median of ${RUNS}, the others the lowest

| page | performance | accessibility | best practices | FCP | LCP | TBT | CLS | JS sent | unused JS |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows
  .map(
    (r) =>
      `| ${r.name} \`${r.url}\` | ${r.performance} | ${r.accessibility} | ${r.bestPractices} | ${s(r.fcp)} | ${s(r.lcp)} | ${Math.round(r.tbt)} ms | ${r.cls.toFixed(3)} | ${kb(r.js)} | ${kb(r.unusedJs)} |`,
  )
  .join('\n')}

What is left, per page (failed audits that count):
${rows.map((r) => `- ${r.name}: ${r.remaining.length ? r.remaining.join('; ') : 'nothing'}`).join('\n')}
`);
const short = rows.filter((r) => r.accessibility < 100);
process.exit(short.length ? 1 : 0);
