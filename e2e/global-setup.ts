import { startSites } from './sites.mjs';
import { startStack } from './stack.mjs';

/**
 * Two stacks behind two nginx instances: "real" is configured like production with the simulator as
 * WeChat (the WeChat-browser journeys); "demo" is what `pnpm start` runs (the desktop journeys).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const real = await startStack({ demo: false, nginxPort: 18600, bffPort: 18601, simPort: 18602 });
  const demo = await startStack({ demo: true, nginxPort: 18610, bffPort: 18611, simPort: 18612 });
  // The authorization proxy on proxy.example.test, for two sites on passport. and trade.example.test.
  const proxied = await startStack({
    demo: false,
    nginxPort: 18630,
    bffPort: 18631,
    simPort: 18632,
    proxy: { domain: 'proxy.example.test', allowedHosts: 'passport.example.test,trade.example.test' },
  });
  // Production-like with a PC website app too, and the profile step before binding switched on: the QR
  // login and unionid journeys. (The demo stack has a website app with that step off, the default.)
  const pc = await startStack({
    demo: false,
    nginxPort: 18650,
    bffPort: 18651,
    simPort: 18652,
    websiteLogin: true,
    env: { WX_UNIONID_BEFORE_BIND: '1' },
  });
  process.env.E2E_PC_ORIGIN = pc.origin;
  process.env.E2E_PC_SIM = pc.simOrigin;
  process.env.E2E_PC_SMS = pc.smsGatewayUrl;
  const sites = await startSites({
    port: 18643,
    proxyOrigin: 'http://proxy.example.test:18630',
    simApi: 'http://127.0.0.1:18632',
  });
  process.env.E2E_REAL_ORIGIN = real.origin;
  process.env.E2E_REAL_SIM = real.simOrigin;
  process.env.E2E_REAL_SMS = real.smsGatewayUrl;
  process.env.E2E_REAL_VERIFY = real.verifyDir;
  process.env.E2E_REAL_ACCESS_LOG = real.accessLog;
  process.env.E2E_DEMO_ORIGIN = demo.origin;
  process.env.E2E_DEMO_SIM = demo.simOrigin;
  process.env.E2E_PROXY_SIM = proxied.simOrigin;
  return async () => {
    await Promise.all([real.stop(), demo.stop(), proxied.stop(), pc.stop(), sites.close()]);
  };
}
