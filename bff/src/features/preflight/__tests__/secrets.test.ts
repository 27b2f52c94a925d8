import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { DEMO_SECRET } from '../../../platform/demoDefaults.js';
import { checkSecrets } from '../secrets.js';
import { PRODUCTION_ENV, STRONG } from './env.js';

const check = (env: Record<string, string | undefined>) => checkSecrets(loadConfig({ ...PRODUCTION_ENV, ...env }));

describe('secrets', () => {
  it('random values (openssl rand -base64 32, -hex 32, -hex 16): ok', () => {
    expect(check({})).toMatchObject({ id: 'secrets', status: 'ok' });
    expect(
      check({ SESSION_SECRET: randomBytes(16).toString('hex'), INTERNAL_API_TOKEN: randomBytes(32).toString('hex') }),
    ).toMatchObject({ status: 'ok' });
  });

  it.each([
    ['one character repeated', 's'.repeat(32)],
    ['a word repeated', 'passwordpasswordpasswordpassword'],
    ['a short pattern repeated', 'abc123abc123abc123abc123abc123ab'],
    ["the example file's placeholder", 'replace-with-at-least-32-random-characters'],
  ])('%s: fail, naming the variable, never the value', (_what, value) => {
    const found = check({ SESSION_SECRET: value });
    expect(found.status).toBe('fail');
    expect(found.summary.en).toContain('SESSION_SECRET');
    expect(JSON.stringify(found)).not.toContain(value);
  });

  it('typed by hand (a run like 0123456789, a word like secret): a warning', () => {
    const found = check({ INTERNAL_API_TOKEN: 'e2e-internal-token-0123456789abcdefghij' });
    expect(found.status).toBe('warn');
    expect(found.summary.en).toContain('INTERNAL_API_TOKEN');
  });

  it('the same value for two secrets: fail (one leak gives both)', () => {
    expect(check({ INTERNAL_API_TOKEN: STRONG.session })).toMatchObject({ status: 'fail' });
  });

  it('PROFILE_TOKEN_KEY: a key of one repeated byte fails; unset is fine (tokens are not kept)', () => {
    expect(check({ PROFILE_TOKEN_KEY: '0f'.repeat(32) }).status).toBe('fail');
    expect(check({ PROFILE_TOKEN_KEY: undefined }).status).toBe('ok');
  });

  it("the demo's values are fine in the demo only; the configuration refuses them anywhere else", () => {
    expect(checkSecrets(loadConfig({}))).toMatchObject({ status: 'ok' });
    expect(() => check({ SESSION_SECRET: DEMO_SECRET })).toThrow(/SESSION_SECRET/);
  });
});
