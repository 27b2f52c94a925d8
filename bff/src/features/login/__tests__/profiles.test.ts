import { describe, expect, it } from 'vitest';
import { startBff, type Bff } from '../../../__tests__/harness.js';

const HOUR = 3600_000;
const row = (bff: Bff) =>
  bff.db
    .selectFrom('wechat_identities')
    .select(['tokens_sealed', 'profile_refreshed_at', 'nickname'])
    .executeTakeFirstOrThrow();
const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
};

describe('profile tokens at rest', () => {
  it('a snsapi_userinfo login keeps the tokens sealed: nothing of them is readable in the database', async () => {
    const bff = await startBff();
    await bff.browser().login({ user: 'alice', scope: 'snsapi_userinfo' });
    const { tokens_sealed } = await row(bff);
    expect(tokens_sealed).toMatch(/^v1\./);
    for (const secret of bff.sim.issuedSecrets()) expect(tokens_sealed).not.toContain(secret);
  });

  it('a snsapi_base login keeps none (they cannot read a profile anyway)', async () => {
    const bff = await startBff();
    await bff.browser().login({ user: 'alice' });
    expect((await row(bff)).tokens_sealed).toBeNull();
  });

  it('without PROFILE_TOKEN_KEY no token is kept at all, and nothing is refreshed', async () => {
    const bff = await startBff({ env: { PROFILE_TOKEN_KEY: '' } });
    const browser = bff.browser();
    await browser.login({ user: 'alice', scope: 'snsapi_userinfo' });
    expect(await row(bff)).toMatchObject({ tokens_sealed: null, nickname: '微信用户alice' });
    bff.advance(48 * HOUR);
    await browser.request('/api/session');
    expect((await bff.simStats())['/sns/auth']).toBeUndefined();
  });
});

describe('profile refresh', () => {
  it('within the access token life: an sns/auth check, then userinfo, no refresh_token', async () => {
    const bff = await startBff({ env: { PROFILE_REFRESH_HOURS: '1', SESSION_IDLE_MINUTES: '600' } });
    const browser = bff.browser();
    await browser.login({ user: 'alice', scope: 'snsapi_userinfo' });
    const before = (await row(bff)).profile_refreshed_at!;
    bff.advance(1.5 * HOUR);
    expect((await browser.request('/api/session')).status).toBe(200);
    await until(async () => (await row(bff)).profile_refreshed_at !== before);
    const calls = await bff.simStats();
    expect([calls['/sns/auth'], calls['/sns/oauth2/refresh_token'], calls['/sns/userinfo']]).toEqual([1, undefined, 2]);
  });

  it('after the access token ran out: sns/auth fails, refresh_token renews it, userinfo reads the profile', async () => {
    const bff = await startBff({ env: { SESSION_IDLE_MINUTES: '6000' } });
    const browser = bff.browser();
    await browser.login({ user: 'alice', scope: 'snsapi_userinfo' });
    const before = await row(bff);
    bff.advance(25 * HOUR);
    await browser.request('/api/session');
    await until(async () => (await row(bff)).profile_refreshed_at !== before.profile_refreshed_at);
    const after = await row(bff);
    const calls = await bff.simStats();
    expect([calls['/sns/auth'], calls['/sns/oauth2/refresh_token'], calls['/sns/userinfo']]).toEqual([1, 1, 2]);
    expect(after.tokens_sealed).not.toBe(before.tokens_sealed);
    expect(after.nickname).toBe('微信用户alice');
  });

  it('30 days after the login the refresh token is gone too: the tokens are dropped, the profile stays', async () => {
    const bff = await startBff({ env: { SESSION_ABSOLUTE_HOURS: '2000', SESSION_IDLE_MINUTES: '43200' } });
    const browser = bff.browser();
    await browser.login({ user: 'alice', scope: 'snsapi_userinfo' });
    bff.advance(16 * 24 * HOUR);
    const first = (await row(bff)).profile_refreshed_at;
    await browser.request('/api/session');
    await until(async () => (await row(bff)).profile_refreshed_at !== first);
    bff.advance(15 * 24 * HOUR);
    await browser.request('/api/session');
    await until(async () => (await row(bff)).tokens_sealed === null);
    expect(await row(bff)).toMatchObject({ tokens_sealed: null, nickname: '微信用户alice' });
    expect((await bff.simStats())['/sns/oauth2/refresh_token']).toBe(1);
  });
});
