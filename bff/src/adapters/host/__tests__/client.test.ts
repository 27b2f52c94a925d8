import { afterEach, describe, expect, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../../../scripts/host-stand-in.mjs';
import { createHostClient } from '../client.js';

const SECRET = 'host-signing-secret-0123456789abcdef-test';
const hosts: HostStandIn[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

async function host() {
  const h = await startHostStandIn({ secret: SECRET, customers: [{ customerId: 'C-1', phone: '13800138000' }] });
  hosts.push(h);
  return h;
}

describe('the host client', () => {
  it('signs every call so the host can check it, and answers its status and JSON', async () => {
    const h = await host();
    const client = createHostClient({ secret: SECRET, timeoutMs: 1000 });
    const found = await client.post(`${h.directoryUrl}/customers/lookup`, { phone: '13800138000' });
    expect(found).toEqual({ status: 200, body: { customerId: 'C-1' } });
    const wrongKey = createHostClient({ secret: 'another-secret-0123456789abcdef-xyz', timeoutMs: 1000 });
    expect((await wrongKey.post(`${h.directoryUrl}/customers/lookup`, { phone: '13800138000' })).status).toBe(403);
    expect(h.state.refused).toBe(1);
  });

  it('tries once more when the connection was refused (nothing reached the host), and only then', async () => {
    const h = await host();
    await h.stop();
    const client = createHostClient({ secret: SECRET, timeoutMs: 1000, retryDelayMs: 300 });
    setTimeout(() => void h.start(), 100);
    const found = await client.post(`${h.directoryUrl}/customers/lookup`, { phone: '13800138000' });
    expect(found.status).toBe(200);
    expect(h.state.calls.lookup).toBe(1);

    await h.stop();
    await expect(client.post(`${h.directoryUrl}/customers/lookup`, {})).rejects.toMatchObject({
      name: 'HostUnreachable',
      reason: 'connection refused',
      // Nothing reached the host: a password try through it costs nothing.
      reached: false,
    });
  });

  it('does not repeat a call the host may have acted on: a timeout or a 500 is answered once', async () => {
    const h = await host();
    const client = createHostClient({ secret: SECRET, timeoutMs: 200, retryDelayMs: 10 });
    h.state.delayMs = 400;
    await expect(client.post(`${h.directoryUrl}/customers/lookup`, { phone: '13800138000' })).rejects.toMatchObject({
      reason: 'no answer within 200 ms',
      reached: true,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.state.calls.lookup).toBe(1);
    h.state.delayMs = 0;
    h.failNext('/wxauth/customers/lookup');
    expect((await client.post(`${h.directoryUrl}/customers/lookup`, { phone: '13800138000' })).status).toBe(500);
    expect(h.state.calls.lookup).toBe(1);
  });
});
