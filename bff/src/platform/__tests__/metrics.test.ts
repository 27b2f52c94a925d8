import { describe, expect, it } from 'vitest';
import { startBff } from '../../__tests__/harness.js';

const scrape = async (origin: string) => {
  const res = await fetch(`${origin}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

describe('GET /metrics', () => {
  it('counts requests by route pattern, logins and SMS codes by outcome, and WeChat calls by endpoint', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    expect((await browser.login({ user: 'metrics-user' })).status).toBe(200);
    await browser.post('/api/sms/send', { phone: '13800138000' });
    await browser.post('/api/sms/send', { phone: '13800138000' }); // within the minute: limited
    browser.cookies.delete('__Host-wxauth_sid'); // signed in, an unknown state would just keep the session
    await browser.post('/api/auth/wechat/login', { code: 'x', state: 'y'.repeat(32) }); // no such flow
    await fetch(`${bff.origin}/no/such/page/${'z'.repeat(40)}`);

    const text = await scrape(bff.origin);
    expect(text).toContain('wxauth_logins_total{outcome="bind"} 1');
    expect(text).toContain('wxauth_logins_total{outcome="STATE_INVALID"} 1');
    expect(text).toContain('wxauth_sms_codes_total{outcome="sent"} 1');
    expect(text).toContain('wxauth_sms_codes_total{outcome="SMS_RATE_LIMITED"} 1');
    expect(text).toContain('wxauth_wechat_requests_total{endpoint="/sns/oauth2/access_token",outcome="ok"} 1');
    expect(text).toContain('wxauth_http_requests_total{method="POST",route="/api/auth/wechat/login",status="200"} 1');
    expect(text).toContain('wxauth_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(
      /^wxauth_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/auth\/wechat\/authorize"\} \d+$/m,
    );
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // Bounded labels only: never a raw path, a phone, a code or a state.
    expect(text).not.toContain('z'.repeat(40));
    expect(text).not.toContain('13800138000');
    expect(text).not.toContain('y'.repeat(32));
  });

  it('counts WeChat failures by errcode', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/sns/oauth2/access_token', errcode: 40163 });
    expect((await bff.browser().login()).status).toBe(400);
    const text = await scrape(bff.origin);
    expect(text).toContain('wxauth_wechat_requests_total{endpoint="/sns/oauth2/access_token",outcome="40163"} 1');
    expect(text).toContain('wxauth_logins_total{outcome="CODE_USED"} 1');
  });
});
