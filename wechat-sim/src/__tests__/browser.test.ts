import { describe, expect, it } from 'vitest';
import { authorizeParams, startSim } from './helpers.js';

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
