import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../adapters/kv/memory.js';
import { createConsoleSms } from '../../../adapters/sms/provider.js';
import type { AppError } from '../../../platform/errors.js';
import { cryptoRandom } from '../../../platform/random.js';
import { createSmsCodes } from '../smsCodes.js';

describe('SMS sends per client address (30 an hour)', () => {
  /** Sends from `ip` to a phone and for an identity of their own (their budgets stay apart): the status. */
  const sendFrom = async (codes: ReturnType<typeof createSmsCodes>, i: number, ip: string) => {
    try {
      await codes.send({ phone: `1380013${String(i).padStart(4, '0')}`, sessionKey: `s${i}`, identityId: i, ip });
      return 200;
    } catch (err) {
      return (err as AppError).status;
    }
  };

  // An IPv6 client holds a whole /64 and may take any address in it: each address must not bring 30 more.
  it('addresses of one IPv6 /64 share the budget; another /64 has its own', async () => {
    const kv = createMemoryKv();
    const sms = createConsoleSms(pino({ level: 'silent' }));
    const codes = createSmsCodes({ kv, provider: sms, random: cryptoRandom, secret: 'test-secret', now: Date.now });
    const statuses = [];
    for (let i = 0; i < 31; i++) statuses.push(await sendFrom(codes, i, `2001:db8:0:1::${(i + 1).toString(16)}`));
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(await sendFrom(codes, 31, '2001:DB8:0:1:ffff::1%eth0')).toBe(429);
    expect(await sendFrom(codes, 32, '2001:db8:0:2::1')).toBe(200);
    expect(sms.inbox.size).toBe(31);
    await kv.close();
  });

  it('an IPv4-mapped address shares the budget of its IPv4 address', async () => {
    const kv = createMemoryKv();
    const sms = createConsoleSms(pino({ level: 'silent' }));
    const codes = createSmsCodes({ kv, provider: sms, random: cryptoRandom, secret: 'test-secret', now: Date.now });
    for (let i = 0; i < 30; i++)
      expect(await sendFrom(codes, i, i % 2 ? '198.51.100.7' : '::ffff:198.51.100.7')).toBe(200);
    expect(await sendFrom(codes, 30, '198.51.100.7')).toBe(429);
    expect(await sendFrom(codes, 31, '198.51.100.8')).toBe(200);
    await kv.close();
  });
});
