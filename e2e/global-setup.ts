import { startStack } from './stack.mjs';

/**
 * Two stacks behind two nginx instances: "real" is configured like production with the simulator as
 * WeChat (the WeChat-browser journeys); "demo" is what `pnpm start` runs (the desktop journeys).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const real = await startStack({ demo: false, nginxPort: 18600, bffPort: 18601, simPort: 18602 });
  const demo = await startStack({ demo: true, nginxPort: 18610, bffPort: 18611, simPort: 18612 });
  process.env.E2E_REAL_ORIGIN = real.origin;
  process.env.E2E_REAL_SIM = real.simOrigin;
  process.env.E2E_REAL_SMS = real.smsGatewayUrl;
  process.env.E2E_REAL_VERIFY = real.verifyDir;
  process.env.E2E_DEMO_ORIGIN = demo.origin;
  process.env.E2E_DEMO_SIM = demo.simOrigin;
  return async () => {
    await Promise.all([real.stop(), demo.stop()]);
  };
}
