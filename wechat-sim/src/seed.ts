import type { SimApp } from './types.js';

/**
 * The apps the demo runs on: an Official Account, a website app and a mini program under one Open
 * Platform account.
 */
export const DEMO_OPEN_PLATFORM = 'demo-open-platform';

export function demoApps(callbackDomain: string): SimApp[] {
  return [
    {
      appid: 'wx00000000000000de',
      secret: 'demoOfficialAccountSecret0000000',
      kind: 'official',
      callbackDomain,
      openPlatform: DEMO_OPEN_PLATFORM,
      name: 'wxauth 演示公众号',
    },
    {
      appid: 'wx00000000000000ed',
      secret: 'demoWebsiteAppSecret000000000000',
      kind: 'website',
      callbackDomain,
      openPlatform: DEMO_OPEN_PLATFORM,
      name: 'wxauth 演示网站应用',
    },
    {
      appid: 'wx00000000000000fe',
      secret: 'demoMiniProgramSecret00000000000',
      kind: 'miniprogram',
      openPlatform: DEMO_OPEN_PLATFORM,
      name: 'wxauth 演示小程序',
    },
  ];
}
