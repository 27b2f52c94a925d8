import { startPrometheus } from '../prometheus.mjs';
import { bind, expect, test, unique } from './fixtures';

/** A real Prometheus scrapes the real stack's BFF: after a login through nginx, the funnel is there. */

test.use({ baseURL: async ({ real }, use) => use(real.origin) });

type Sample = { metric: Record<string, string>; value: [number, string] };

test('Prometheus scrapes the BFF, loads the rules, and finds the login funnel after a login', async ({
  page,
  real,
  wechatUser,
}) => {
  test.setTimeout(60_000);
  const prometheus = await startPrometheus({ targets: real.bffs.map((b) => `127.0.0.1:${b.port}`) });
  try {
    await expect
      .poll(async () => (await prometheus.query('up{job="wxauth"}')).map((s: Sample) => s.value[1]))
      .toEqual(real.bffs.map(() => '1'));

    const { user, phone } = unique();
    await wechatUser(user);
    await page.goto('/');
    await expect(page).toHaveURL(/\/bind$/);
    await bind(page, phone, real.inbox);
    await expect(page).toHaveURL(/\/$/);

    const funnel = async () =>
      Object.fromEntries(
        ((await prometheus.query('sum by (step) (wxauth_login_funnel_total{job="wxauth",flow="h5"})')) as Sample[]).map(
          (s) => [s.metric.step, Number(s.value[1])],
        ),
      );
    await expect.poll(funnel, { timeout: 15_000 }).toMatchObject({
      authorize: expect.any(Number),
      callback: expect.any(Number),
      login: expect.any(Number),
      bound: expect.any(Number),
    });
    const steps = await funnel();
    for (const step of ['authorize', 'callback', 'login', 'bound']) expect(steps[step]).toBeGreaterThanOrEqual(1);
    expect((await prometheus.query('wxauth_ready{job="wxauth"}')).map((s: Sample) => s.value[1])).toEqual(['1', '1']);

    // The repository's rules are loaded and evaluate without error against the real series.
    type Rules = {
      groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }>;
    };
    const rules = async () => ((await prometheus.rules()) as Rules).groups.find((g) => g.name === 'wxauth')!.rules;
    expect((await rules()).length).toBeGreaterThanOrEqual(10);
    await expect
      .poll(async () =>
        (await rules()).filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      )
      .toEqual([]);
  } finally {
    await prometheus.stop();
  }
});
