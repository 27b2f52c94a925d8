import { defineConfig, devices } from '@playwright/test';
import { ANDROID_WECHAT_UA, CHROMIUM, WECHAT_UA } from './stack.mjs';

export default defineConfig({
  testDir: 'tests',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: { launchOptions: CHROMIUM, trace: 'retain-on-failure', locale: 'zh-CN' },
  projects: [
    {
      name: 'wechat',
      testMatch: /wechat\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // Three hostnames on 127.0.0.1: proxy., passport. and trade.example.test.
      name: 'proxy',
      testMatch: /proxy\.spec\.ts/,
      use: {
        launchOptions: { ...CHROMIUM, args: [...CHROMIUM.args, '--host-resolver-rules=MAP *.example.test 127.0.0.1'] },
        ignoreHTTPSErrors: true,
      },
    },
    {
      // Two BFF instances behind nginx on real MariaDB and Redis: mostly plain HTTP, one WeChat browser.
      name: 'cluster',
      testMatch: /cluster\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // The company's own services behind the login (forward-auth), and deep links, in WeChat's browser.
      name: 'site',
      testMatch: /site\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // The host system's customers: its directory and event receiver (the host stand-in), both ways to bind.
      name: 'accounts',
      testMatch: /accounts\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // Every page of the H5 app in each of its states: axe's WCAG 2.1 A/AA rules, and 200 % text.
      name: 'a11y',
      testMatch: /a11y\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // pnpm preflight against stacks behind nginx.conf: green, and deliberate mistakes found.
      name: 'preflight',
      testMatch: /preflight\.spec\.ts/,
    },
    {
      // The uni-app example's H5 build behind the same nginx and BFF, in WeChat's browser.
      name: 'uniapp',
      testMatch: /uniapp\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // wxauth as an OpenID Connect provider: a relying party on another host name (127.0.0.1), in WeChat's browser.
      name: 'oidc',
      testMatch: /oidc\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // Share links through the JS-SDK stand-in: iOS WeChat signs the landing URL, Android the current one.
      name: 'share-ios',
      testMatch: /share\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      name: 'share-android',
      testMatch: /share\.spec\.ts/,
      use: { ...devices['Pixel 7'], userAgent: ANDROID_WECHAT_UA },
    },
    {
      // A real Prometheus (Debian's) scraping the real stack's BFF, with deploy/prometheus's rules loaded.
      name: 'prometheus',
      testMatch: /prometheus\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      // Request-level checks of nginx.conf: headers, caching, what it serves.
      name: 'nginx',
      testMatch: /nginx\.spec\.ts/,
    },
    {
      // The Official Account's message endpoint through nginx: the simulator's pushes, plaintext and safe
      // mode, and the company's existing handler kept by forwarding.
      name: 'messages',
      testMatch: /messages\.spec\.ts/,
    },
    {
      // Desktop login through the Official Account: a desktop Chromium through nginx, two BFF instances on
      // MariaDB and Redis, the simulator's scan and chat, a WeChat-UA phone that confirms.
      name: 'follow',
      testMatch: /follow\.spec\.ts/,
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      // nginx.conf's cap on one address's open event streams of the follow login (limit_conn): plain HTTP
      // from Node through real nginx, and a desktop Chromium whose stream is refused.
      name: 'follow-streams',
      testMatch: /follow-streams\.spec\.ts/,
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      name: 'desktop',
      testMatch: /desktop\.spec\.ts/,
      use: { viewport: { width: 1280, height: 800 } },
    },
  ],
});
