import { describe, expect, it } from 'vitest';
import { REAL_ENV } from '../../../__tests__/harness.js';
import { ConfigError, loadConfig } from '../../../platform/config.js';
import { configReport } from '../run.js';

/** The report preflight gives for a configuration the BFF refuses. */
function reportOf(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return configReport(err);
    throw err;
  }
  throw new Error('the configuration loaded');
}

describe("preflight's configuration check", () => {
  it("is start-up's problems, one failing line each, with what the variable takes", () => {
    const report = reportOf({ WX_APPSECRET: REAL_ENV.WX_APPSECRET, PUBLIC_URL: 'h5.example.com' });
    expect(report).toMatchObject({ ok: false, mode: 'invalid', counts: { fail: 2 } });
    expect(report.checks.map((c) => [c.data?.variable, c.summary.en])).toEqual([
      ['WX_APPID', 'WX_APPID: required when WX_APPSECRET is set'],
      ['PUBLIC_URL', expect.stringMatching(/^PUBLIC_URL: expected an http\(s\) origin/)],
    ]);
    expect(report.checks[0]!.fix!.en).toContain('like wx0123456789abcdef');
    expect(report.checks[0]!.fix!.zh).toContain('例如 wx0123456789abcdef');
    expect(report.checks[1]!.fix!.en).toContain('docs/reference/configuration.md');
  });

  it('gives no example of a secret, and never its value', () => {
    const report = reportOf({ ...REAL_ENV, SESSION_SECRET: 'short-secret-value' });
    expect(report.checks).toHaveLength(1);
    const said = JSON.stringify(report);
    expect(said).toContain('SESSION_SECRET');
    expect(said).not.toMatch(/short-secret-value|replace-with/);
  });
});
