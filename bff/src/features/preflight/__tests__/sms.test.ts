import { describe, expect, it } from 'vitest';
import { freePort } from '../../../../../scripts/servers.mjs';
import { loadConfig } from '../../../platform/config.js';
import { checkSms } from '../sms.js';
import { serve } from './edges.js';
import { PRODUCTION_ENV } from './env.js';

const TOKEN = 'smsGatewayToken0123456789abcdefXYZ';

/** A gateway answering `status`, keeping what it was sent. */
async function gateway(status: number) {
  const seen: Array<{ authorization?: string; body: unknown }> = [];
  const url = await serve((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push({ authorization: req.headers.authorization, body: JSON.parse(body || 'null') });
      res.writeHead(status).end();
    });
  });
  return { url: `${url}/sms?key=queryKey123`, seen };
}

const check = (url: string, env: Record<string, string> = {}) =>
  checkSms({
    config: loadConfig({ ...PRODUCTION_ENV, SMS_WEBHOOK_URL: url, SMS_WEBHOOK_TOKEN: TOKEN, ...env }),
    fetch,
    timeoutMs: 2000,
  });

describe('SMS: a dry run at the webhook', () => {
  it('2xx to {dryRun: true}, with the bearer token and no phone: ok', async () => {
    const gw = await gateway(204);
    const found = await check(gw.url);
    expect(found).toMatchObject({ id: 'sms', status: 'ok' });
    expect(gw.seen).toEqual([{ authorization: `Bearer ${TOKEN}`, body: { dryRun: true } }]);
    expect(JSON.stringify(found)).not.toMatch(/queryKey123|smsGatewayToken/);
  });

  it.each([
    [401, 'fail'],
    [403, 'fail'],
    [404, 'fail'],
    [500, 'fail'],
    [400, 'warn'],
    [422, 'warn'],
  ])('HTTP %d: %s', async (status, expected) => {
    const found = await check((await gateway(status)).url);
    expect(found.status).toBe(expected);
    expect(found.summary.en).toContain(String(status));
  });

  it('unreachable: fail', async () => {
    const found = await check(`http://127.0.0.1:${await freePort()}/sms`);
    expect(found.status).toBe('fail');
    expect(found.fix!.zh).toContain('SMS_WEBHOOK_URL');
  });

  it('the demo: codes are shown, not sent: ok', async () => {
    const found = await checkSms({ config: loadConfig({}), fetch, timeoutMs: 2000 });
    expect(found).toMatchObject({ status: 'ok' });
  });
});
