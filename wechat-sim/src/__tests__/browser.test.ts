import { describe, expect, it } from 'vitest';
import { authorizeParams, OA, startSim } from './helpers.js';

describe('what a browser asks the simulator for by itself', () => {
  it('a favicon at /favicon.ico, linked from its pages, and not counted as a WeChat call', async () => {
    const { get, authorize } = await startSim();
    const icon = await get('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const page = await (await authorize(authorizeParams({ scope: 'snsapi_userinfo' }))).text();
    expect(page).toContain('<link rel="icon" href="/favicon.ico" type="image/svg+xml">');
    expect(((await (await get('/__sim/stats')).json()) as { calls: object }).calls).not.toHaveProperty('/favicon.ico');
  });
});

describe("GET /__sim/new-user (the demo's way to a new simulated user)", () => {
  const cookieOf = (res: Response) =>
    /^wxsim_user=([A-Za-z0-9_-]+); Path=\/;/.exec(res.headers.get('set-cookie') ?? '')?.[1];

  it("makes this browser a new WeChat user each time, and goes on to an app's callback domain", async () => {
    const { get, exchange, sim } = await startSim();
    const next = 'https://h5.example.com/auth?from=demo';
    const first = await get(`/__sim/new-user?next=${encodeURIComponent(next)}`);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(next);
    const user = cookieOf(first)!;
    expect(user).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(user).not.toBe(cookieOf(await get(`/__sim/new-user?next=${encodeURIComponent(next)}`)));

    // WeChat now knows the browser by that cookie: a user with an openid of their own.
    const res = await get(`/connect/oauth2/authorize?${new URLSearchParams(authorizeParams())}`, {
      headers: { cookie: `wxsim_user=${user}` },
    });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    expect((await exchange(code)).openid).toBe(sim.openidOf(OA.appid, user));
    expect(sim.openidOf(OA.appid, user)).not.toBe(sim.openidOf(OA.appid, 'demo'));
  });

  it.each([
    ['no next', ''],
    ['another site', 'https://evil.com/auth'],
    ['a host that only starts with a callback domain', 'https://h5.example.com.evil.com/auth'],
    ['a protocol-relative link', '//evil.com/auth'],
    ['a script', 'javascript:alert(1)'],
    ['a port (not allowed on this simulator)', 'https://h5.example.com:8443/auth'],
  ])('refuses %s: no open redirect, no new user', async (_, next) => {
    const { get } = await startSim();
    const res = await get(`/__sim/new-user?next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
