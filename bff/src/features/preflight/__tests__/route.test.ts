import { describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN, startBff } from '../../../__tests__/harness.js';
import type { Report } from '../types.js';

const get = (origin: string, authorization?: string) =>
  fetch(`${origin}/internal/preflight`, { headers: authorization ? { authorization } : {} });

describe('GET /internal/preflight', () => {
  it('answers the report to the bearer of INTERNAL_API_TOKEN, with no secret in it', async () => {
    const bff = await startBff();
    const res = await get(bff.origin, `Bearer ${INTERNAL_TOKEN}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const report = JSON.parse(text) as Report;
    expect(report).toMatchObject({ mode: 'real', publicUrl: 'https://h5.example.com' });
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['config', 'public-url', 'wechat.official', 'jssdk.ticket', 'secrets', 'sms', 'oidc']),
    );
    // This BFF's WeChat is its simulator: the credentials it runs with are right.
    expect(report.checks.find((c) => c.id === 'wechat.official')!.status).toBe('ok');
    for (const secret of [...bff.secrets, ...bff.sim.issuedSecrets()]) expect(text).not.toContain(secret);
  });

  it.each([
    ['no Authorization', undefined],
    ['a wrong token', 'Bearer wrong-token-0123456789abcdefghijklmnop'],
    ['the token without Bearer', INTERNAL_TOKEN],
    ['a prefix of the token', `Bearer ${INTERNAL_TOKEN.slice(0, -1)}`],
  ])('%s: 401, and no check runs', async (_what, authorization) => {
    const bff = await startBff();
    const res = await get(bff.origin, authorization);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } });
    expect(await bff.simStats()).toEqual({});
  });

  it('10 a minute per address, then 429 with Retry-After', async () => {
    const bff = await startBff();
    for (let i = 0; i < 10; i++) expect((await get(bff.origin)).status).toBe(401);
    const limited = await get(bff.origin, `Bearer ${INTERNAL_TOKEN}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
