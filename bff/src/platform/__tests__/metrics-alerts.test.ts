import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { APP, simForm, startBff, WEBSITE, type Bff, type Browser } from '../../__tests__/harness.js';
import { createWebhookSms } from '../../adapters/sms/provider.js';

/** The series the alert rules and the dashboard read (deploy/prometheus, deploy/grafana), each after what makes it. */

const scrape = async (bff: Bff) => (await fetch(`${bff.origin}/metrics`)).text();
const funnel = (step: string, flow: string, n: number) =>
  `wxauth_login_funnel_total{step="${step}",flow="${flow}"} ${n}`;

/** PC QR login: authorize?platform=website, scan and confirm on the simulator's QR page, back to the BFF. */
async function pcLogin(bff: Bff, browser: Browser, user: string): Promise<Response> {
  const start = await browser.request('/api/auth/wechat/authorize?platform=website&returnTo=%2F');
  const qr = new URL(start.headers.get('location')!.replace(/#wechat_redirect$/, ''));
  qr.searchParams.set('wxsim_user', user);
  const form = simForm(await (await fetch(qr)).text());
  const confirmed = await fetch(`${bff.simOrigin}/connect/qrconnect/confirm`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const back = new URL(confirmed.headers.get('location')!);
  return browser.post('/api/auth/wechat/login', {
    code: back.searchParams.get('code'),
    state: back.searchParams.get('state'),
  });
}

describe('the login funnel: wxauth_login_funnel_total{step, flow}', () => {
  it('h5: authorize, callback, login; bound after the binding, and at once for a returning customer', async () => {
    const bff = await startBff();
    expect(await scrape(bff)).not.toContain('wxauth_login_funnel_total{');
    const first = bff.browser();
    await first.authorize({ user: 'funnel-a' });
    let text = await scrape(bff);
    expect(text).toContain(funnel('authorize', 'h5', 1));
    expect(text).not.toContain('step="callback"');

    await first.loginAndBind('funnel-b', '13800138001', bff.inbox);
    text = await scrape(bff);
    expect(text).toContain(funnel('authorize', 'h5', 2));
    expect(text).toContain(funnel('callback', 'h5', 1));
    expect(text).toContain(funnel('login', 'h5', 1));
    expect(text).toContain(funnel('bound', 'h5', 1));

    // Already bound: the login itself is the bound step.
    expect((await bff.browser().login({ user: 'funnel-b' })).status).toBe(200);
    text = await scrape(bff);
    expect(text).toContain(funnel('login', 'h5', 2));
    expect(text).toContain(funnel('bound', 'h5', 2));
  });

  it('a callback whose code WeChat refuses stops at callback', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/sns/oauth2/access_token', errcode: 40029 });
    expect((await bff.browser().login({ user: 'refused' })).status).toBe(400);
    const text = await scrape(bff);
    expect(text).toContain(funnel('callback', 'h5', 1));
    expect(text).not.toContain('step="login"');
  });

  it('pc_qr: a desktop login by the website app, bound by SMS', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    expect((await pcLogin(bff, browser, 'desk')).status).toBe(200);
    await browser.bind('13800138002', bff.inbox);
    const text = await scrape(bff);
    for (const step of ['authorize', 'callback', 'login', 'bound']) expect(text).toContain(funnel(step, 'pc_qr', 1));
    expect(text).not.toContain('flow="h5"');
  });

  it('oidc: a login that returns to an OpenID Connect interaction', async () => {
    const bff = await startBff();
    const res = await bff.browser().login({ user: 'rp-user', returnTo: '/api/oidc/interaction/abc123' });
    expect(res.status).toBe(200);
    const text = await scrape(bff);
    for (const step of ['authorize', 'callback', 'login']) expect(text).toContain(funnel(step, 'oidc', 1));
  });
});

describe('WeChat errors by errcode: wxauth_wechat_requests_total{endpoint, outcome}', () => {
  it('counts a known errcode by its number (40164: the server IP not on the allowlist)', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/sns/oauth2/access_token', errcode: 40164 });
    await bff.browser().login();
    expect(await scrape(bff)).toContain(
      'wxauth_wechat_requests_total{endpoint="/sns/oauth2/access_token",outcome="40164"} 1',
    );
  });

  it('counts an errcode outside the known set as "other": WeChat cannot grow the label set', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/sns/oauth2/access_token', errcode: 61234 });
    await bff.browser().login();
    const text = await scrape(bff);
    expect(text).toContain('wxauth_wechat_requests_total{endpoint="/sns/oauth2/access_token",outcome="other"} 1');
    expect(text).not.toContain('61234');
  });
});

describe('the global access_token: wxauth_wechat_token_renewed_timestamp_seconds{appid}', () => {
  it('is set to the time of the renewal this instance made', async () => {
    const bff = await startBff();
    expect(await scrape(bff)).not.toContain('wxauth_wechat_token_renewed_timestamp_seconds{');
    const before = Date.now() / 1000;
    const res = await fetch(
      `${bff.origin}/api/wechat/jssdk-config?${new URLSearchParams({ url: 'https://h5.example.com/' })}`,
    );
    expect(res.status).toBe(200);
    const line = new RegExp(`^wxauth_wechat_token_renewed_timestamp_seconds\\{appid="${APP.appid}"\\} (\\S+)$`, 'm');
    const at = Number(line.exec(await scrape(bff))?.[1]);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before));
    expect(at).toBeLessThanOrEqual(Date.now() / 1000);
    expect(await scrape(bff)).not.toContain(WEBSITE.appid);
  });
});

describe('readiness: wxauth_ready{check}', () => {
  it('is 1 for the database and the state store while they answer, 0 for the database once it is gone', async () => {
    const bff = await startBff();
    let text = await scrape(bff);
    expect(text).toMatch(/^wxauth_ready\{check="database"\} 1$/m);
    expect(text).toMatch(/^wxauth_ready\{check="state"\} 1$/m);
    await bff.store.close();
    text = await scrape(bff);
    expect(text).toMatch(/^wxauth_ready\{check="database"\} 0$/m);
    expect(text).toMatch(/^wxauth_ready\{check="state"\} 1$/m);
    expect((await fetch(`${bff.origin}/readyz`)).status).toBe(503);
  });
});

describe('SMS provider failures: wxauth_sms_codes_total{outcome="SMS_SEND_FAILED"}', () => {
  it('counts a code the gateway did not take', async () => {
    const gateway = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/send`;
      const bff = await startBff({ sms: createWebhookSms({ url, fetch }) });
      const browser = bff.browser();
      expect((await browser.login({ user: 'sms-down' })).status).toBe(200);
      expect((await browser.post('/api/sms/send', { phone: '13800138003' })).status).toBe(502);
      expect(await scrape(bff)).toContain('wxauth_sms_codes_total{outcome="SMS_SEND_FAILED"} 1');
    } finally {
      gateway.closeAllConnections();
      await new Promise((r) => gateway.close(r));
    }
  });
});
