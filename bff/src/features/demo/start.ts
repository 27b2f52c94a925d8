import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Simulator from '@wxauth/wechat-sim';
import type { Logger } from 'pino';
import type { DemoConfig, WechatApps } from '../../platform/config.js';
import type { AppRouter } from '../../platform/http/context.js';
import { createConsoleSms } from '../../adapters/sms/provider.js';
import { smsInboxRoute } from './routes.js';
import { serveWebApp } from './webApp.js';

/** Everything the demo adds to a BFF: WeChat (the simulator), its SMS inbox, and the H5 app. */
export interface RunningDemo {
  apps: WechatApps;
  sms: ReturnType<typeof createConsoleSms>;
  parts: { routes(router: AppRouter): void; fallback?: ReturnType<typeof serveWebApp> };
  /** The simulator, for tests and the start-up message. */
  sim: { origin: string; close(): Promise<void> };
  /** What start-up says to the person who ran `pnpm start`. */
  announce(url: string): string;
  /** Points the demo account's 服务器配置 at this BFF's message endpoint, once it listens at `url`. */
  serve(url: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the demo's WeChat: the simulator, seeded with an Official Account and a website app whose
 * callback domain is PUBLIC_URL's host, and a mini program, on loopback. The simulator is a development dependency: a
 * production build (the bff image) does not contain it, and says so.
 */
export async function startDemo(config: DemoConfig, log: Logger): Promise<RunningDemo> {
  let simulator: typeof Simulator;
  try {
    simulator = await import('@wxauth/wechat-sim');
  } catch {
    throw new Error(
      'demo mode needs the WeChat simulator (@wxauth/wechat-sim), which production builds leave out: set WX_APPID and WX_APPSECRET, or run the demo from the repository (pnpm start)',
    );
  }
  const callbackDomain = new URL(config.publicUrl).hostname;
  const [official, website, miniprogram] = simulator.demoApps(callbackDomain);
  const sim = await simulator
    .createSimulator({ apps: [official!, website!, miniprogram!], allowPorts: true })
    .listen(config.simulatorPort, '127.0.0.1');
  // The browser reaches the simulator by the same host name it uses for the BFF.
  const browserOrigin = callbackDomain === 'localhost' ? sim.origin.replace('127.0.0.1', 'localhost') : sim.origin;
  const apps: WechatApps = {
    official: { appid: official!.appid, secret: official!.secret },
    website: { appid: website!.appid, secret: website!.secret },
    miniprogram: { appid: miniprogram!.appid, secret: miniprogram!.secret },
    openBase: browserOrigin,
    apiBase: sim.origin,
    // The Official Account's QR code images (showqrcode), as the browser reaches them.
    mpBase: browserOrigin,
    // The simulator's JS-SDK stand-in, at the path of WeChat's own script.
    jssdkScript: `${browserOrigin}/open/js/jweixin-1.6.0.js`,
  };
  const sms = createConsoleSms(log);
  // The built H5 app, when there is one (pnpm start builds it): the demo is the whole site on one port.
  const webDist = fileURLToPath(new URL('../../../../web/dist', import.meta.url));
  const webRoot = existsSync(join(webDist, 'index.html')) ? webDist : undefined;

  return {
    apps,
    sms,
    sim,
    parts: {
      routes: (router) => smsInboxRoute(router, sms.inbox),
      fallback: webRoot ? serveWebApp(webRoot) : undefined,
    },
    announce: (url) =>
      [
        '',
        '  wxauth is running in DEMO MODE: WeChat is the built-in simulator (WX_APPID is not set).',
        `  BFF:        ${url}  (public URL ${config.publicUrl})`,
        `  Simulator:  ${apps.openBase}  (appid ${apps.official.appid})`,
        webRoot
          ? `  Open:       ${config.publicUrl}/  (the H5 app; a desktop browser walks the journey as the simulated user)`
          : `  Start here: ${config.publicUrl}/api/auth/wechat/authorize?returnTo=/  (run pnpm build for the H5 app)`,
        `  Mini program: appid ${apps.miniprogram!.appid} (/api/mp/*; wx.login's codes from ${apps.openBase}/__sim/mp/login)`,
        '  SMS codes are not sent: read them at /api/dev/sms-inbox?phone=<phone>.',
        `  The Official Account's chat with the demo user (its passive replies): ${apps.openBase}/__sim/oa/chat/view?appid=${apps.official.appid}&user=demo`,
        '',
      ].join('\n'),
    async serve(url) {
      const messages = config.messages;
      if (!messages) return;
      // The simulator pushes from this machine: to the BFF's own address, in 安全模式 with the demo's token and key.
      const res = await fetch(`${sim.origin}/__sim/oa/server`, {
        method: 'POST',
        body: JSON.stringify({
          appid: official!.appid,
          url: `${url}/api/wechat/messages`,
          token: messages.token,
          encodingAESKey: messages.aesKeys[0],
          mode: messages.aesKeys.length ? 'safe' : 'plaintext',
        }),
      });
      if (!res.ok) throw new Error(`the demo's simulator refused its server configuration: ${await res.text()}`);
    },
    close: () => sim.close(),
  };
}
