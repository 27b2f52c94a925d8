import { defineConfig, devices } from '@playwright/test';

// A real WeChat in-app browser user agent (iOS): the H5 app looks for "MicroMessenger".
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN';

const chromium = {
  // Debian's Chromium: Playwright's own browser download cannot work here.
  executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: 'tests',
  globalSetup: './global-setup.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: { launchOptions: chromium, trace: 'retain-on-failure', locale: 'zh-CN' },
  projects: [
    {
      name: 'wechat',
      testMatch: /wechat\.spec\.ts/,
      use: { ...devices['iPhone 13'], defaultBrowserType: 'chromium', userAgent: WECHAT_UA },
    },
    {
      name: 'desktop',
      testMatch: /desktop\.spec\.ts/,
      use: { viewport: { width: 1280, height: 800 } },
    },
  ],
});
