import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookSms } from '../provider.js';

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function gateway(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => handler(req, body, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
}

describe('webhook SMS provider', () => {
  it('POSTs the phone and code as JSON with the bearer token', async () => {
    const seen: Array<{ auth?: string; type?: string; body: unknown }> = [];
    const url = await gateway((req, body, res) => {
      seen.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(202).end();
    });
    await createWebhookSms({ url, token: 'T0KEN', fetch }).send('13800138000', '123456');
    expect(seen).toEqual([
      {
        auth: 'Bearer T0KEN',
        type: 'application/json',
        body: { phone: '13800138000', code: '123456', ttlSeconds: 300, text: '您的验证码是 123456，5 分钟内有效。' },
      },
    ]);
  });

  it.each([
    ['a 500', (res: ServerResponse) => res.writeHead(500).end()],
    ['no answer in time', () => undefined],
  ])('maps %s to SMS_SEND_FAILED', async (_, answer) => {
    const url = await gateway((_req, _body, res) => answer(res));
    const sending = createWebhookSms({ url, fetch, timeoutMs: 100 }).send('13800138000', '123456');
    await expect(sending).rejects.toMatchObject({ status: 502, code: 'SMS_SEND_FAILED' });
  });

  it('maps an unreachable gateway to SMS_SEND_FAILED', async () => {
    await expect(
      createWebhookSms({ url: 'http://127.0.0.1:9/sms', fetch }).send('13800138000', '1'),
    ).rejects.toMatchObject({
      code: 'SMS_SEND_FAILED',
    });
  });
});
