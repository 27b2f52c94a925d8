import type Koa from 'koa';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../platform/errors.js';
import { clientKey, limitPerIp } from '../../../platform/http/limits.js';
import { createMemoryKv } from '../memory.js';
import { createMemoryLimits, ipv4 } from '../memoryLimits.js';

/** A clock the test moves. */
const clock = (start = 1_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('the in-process limits for floods', () => {
  it('counts up to max, then refuses and says how long until the window ends', () => {
    const c = clock();
    const limits = createMemoryLimits({ now: c.now });
    for (let i = 0; i < 3; i++) expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: true });
    c.advance(10_000);
    expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: false, retryAfterMs: 50_000 });
    c.advance(50_000);
    expect(limits.hit('login', '1.2.3.4', 3, 60_000)).toEqual({ ok: true });
  });

  it('keeps each budget and each address apart', () => {
    const limits = createMemoryLimits({ now: clock().now });
    expect(limits.hit('login', 'a', 1, 60_000).ok).toBe(true);
    expect(limits.hit('login', 'a', 1, 60_000).ok).toBe(false);
    expect(limits.hit('login', 'b', 1, 60_000).ok).toBe(true);
    expect(limits.hit('authorize', 'a', 1, 60_000).ok).toBe(true);
  });

  it('keeps a counter across a change of generation, and forgets every ended one without a sweep', () => {
    const c = clock();
    const limits = createMemoryLimits({ now: c.now, longestMs: 60_000 });
    for (let i = 0; i < 1000; i++) limits.hit('login', `ip${i}`, 2, 60_000);
    c.advance(59_000);
    limits.hit('login', 'late', 2, 60_000);
    c.advance(2_000);
    // A new generation: the late counter lives on (58 s of its minute left), used once of twice.
    expect(limits.hit('login', 'late', 2, 60_000).ok).toBe(true);
    expect(limits.hit('login', 'late', 2, 60_000)).toEqual({ ok: false, retryAfterMs: 58_000 });
    c.advance(60_000);
    limits.hit('login', 'other', 2, 60_000);
    // Two generations on, the thousand ended counters are gone with theirs.
    expect(limits.size).toBeLessThan(3);
  });

  it('keeps a hundred thousand IPv4 addresses apart, those differing only in their first number too', () => {
    const limits = createMemoryLimits({ now: clock().now });
    const addresses: string[] = [];
    for (let i = 0; i < 100_000; i++) addresses.push(`${10 + (i >> 16)}.18.${(i >> 8) & 255}.${i & 255}`);
    for (let a = 1; a < 256; a++) addresses.push(`${a}.0.0.1`);
    const first = addresses.filter((ip) => limits.hit('login', ip, 1, 60_000).ok);
    const second = addresses.filter((ip) => limits.hit('login', ip, 1, 60_000).ok);
    expect({ first: first.length, second: second.length }).toEqual({ first: addresses.length, second: 0 });
    expect(limits.size).toBe(addresses.length);
  });

  it('counts IPv4 addresses, IPv6 ones and any other text each apart, in both generations', () => {
    const c = clock();
    const limits = createMemoryLimits({ now: c.now, longestMs: 60_000 });
    const ids = ['1.2.3.4', '01.2.3.4', '::ffff:1.2.3.4', '2001:db8::1', 'unknown', '255.255.255.255', '0.0.0.0'];
    c.advance(1_000);
    for (const id of ids) expect(limits.hit('login', id, 2, 60_000).ok).toBe(true);
    c.advance(58_000);
    for (const id of ids) expect(limits.hit('login', id, 2, 60_000).ok).toBe(true);
    c.advance(1_500);
    // A new generation: each counter is carried over, used up, refused until its minute ends, then new.
    for (const id of ids) expect(limits.hit('login', id, 2, 60_000)).toEqual({ ok: false, retryAfterMs: 500 });
    c.advance(500);
    for (const id of ids) expect(limits.hit('login', id, 2, 60_000)).toEqual({ ok: true });
  });

  it('reads an IPv4 address written the usual way as its 32 bits, and nothing else', () => {
    expect(ipv4('1.2.3.4')).toBe(0x01020304);
    expect(ipv4('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4('0.0.0.0')).toBe(0);
    expect(ipv4('198.18.0.10')).toBe(0xc612000a);
    for (const text of [
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.',
      '.1.2.3',
      '1.2.3.4 ',
      '::1',
      'a.b.c.d',
      '',
      '1.2.3.0004',
    ])
      expect(ipv4(text)).toBe(-1);
  });

  it('starts its counters again when the wall clock steps back (NTP, a VM resumed), as a restart would', () => {
    const c = clock(10_000_000);
    const limits = createMemoryLimits({ now: c.now, longestMs: 60_000 });
    limits.hit('login', '9.9.9.9', 2, 60_000);
    c.advance(-5 * 60_000);
    // A counter's end is kept as ms after its generation began: before that, it would be negative,
    // which the IPv4 table's 32 bits read as an hour away and the IPv6 map as a count below zero.
    for (const id of ['1.2.3.4', '2001:db8::1']) {
      expect([limits.hit('login', id, 2, 60_000), limits.hit('login', id, 2, 60_000)]).toEqual([
        { ok: true },
        { ok: true },
      ]);
      expect(limits.hit('login', id, 2, 60_000)).toEqual({ ok: false, retryAfterMs: 60_000 });
    }
    c.advance(60_000);
    expect(limits.hit('login', '1.2.3.4', 2, 60_000)).toEqual({ ok: true });
  });

  it('refuses a window longer than it keeps', () => {
    const limits = createMemoryLimits({ longestMs: 60_000 });
    expect(() => limits.hit('k', 'ip', 1, 61_000)).toThrow(/longer/);
  });
});

describe('per-IP budgets (limitPerIp)', () => {
  /** Runs one request from `ip` through a route's budget: its status. */
  const through = async (mw: Koa.Middleware, ip: string) => {
    const ctx = { ip } as Koa.Context;
    try {
      await mw(ctx, async () => undefined);
      return 200;
    } catch (err) {
      return (err as AppError).status;
    }
  };

  it('counts a minute budget in memory, and a longer one (password guesses) in the state that outlives a restart', async () => {
    const kv = createMemoryKv();
    const seen: string[] = [];
    const floods = createMemoryLimits();
    const limit = limitPerIp(
      (budgets) => kv.hit(budgets),
      (name, ip, max, windowMs) => {
        seen.push(`${name}:${ip}`);
        return floods.hit(name, ip, max, windowMs);
      },
    );
    const login = limit('login', 2, 60_000);
    expect([await through(login, '1.2.3.4'), await through(login, '1.2.3.4'), await through(login, '1.2.3.4')]).toEqual(
      [200, 200, 429],
    );
    expect(seen).toEqual(['login:1.2.3.4', 'login:1.2.3.4', 'login:1.2.3.4']);
    expect(await kv.get('rl:login:1.2.3.4')).toBeUndefined();

    const guesses = limit('bind-password', 1, 15 * 60_000);
    expect([await through(guesses, '1.2.3.4'), await through(guesses, '1.2.3.4')]).toEqual([200, 429]);
    expect(seen).toHaveLength(3);
    expect(await kv.get('rl:bind-password:1.2.3.4')).toBe(1);
    await kv.close();
  });

  // An IPv6 client holds a whole /64 (RFC 4291 §2.5.4; a home or mobile line is given one, or more)
  // and may take any address in it (privacy addresses, RFC 8981): counted apart, each address would
  // bring a fresh budget, and a fresh counter.
  describe('an IPv6 client is counted by its /64', () => {
    const budgets = () => {
      const kv = createMemoryKv();
      const floods = createMemoryLimits();
      const limit = limitPerIp(
        (b) => kv.hit(b),
        (name, ip, max, windowMs) => floods.hit(name, ip, max, windowMs),
      );
      return { kv, floods, login: limit('login', 2, 60_000), guesses: limit('bind-password', 2, 15 * 60_000) };
    };

    it('two addresses of one /64 share the minute budget (in memory) and the longer one (in the state)', async () => {
      const { kv, floods, login, guesses } = budgets();
      expect([
        await through(login, '2001:db8:0:1::a'),
        await through(login, '2001:db8:0:1:ffff:ffff:ffff:ffff'),
        await through(login, '2001:db8:0:1:1234:5678:9abc:def0'),
      ]).toEqual([200, 200, 429]);
      expect(floods.size).toBe(1);
      expect([
        await through(guesses, '2001:db8:0:1::a'),
        await through(guesses, '2001:db8:0:1::b'),
        await through(guesses, '2001:db8:0:1::c'),
      ]).toEqual([200, 200, 429]);
      expect(await kv.get('rl:bind-password:2001:db8:0:1::/64')).toBe(2);
      await kv.close();
    });

    it('two /64s have a budget each', async () => {
      const { kv, login, guesses } = budgets();
      for (const mw of [login, guesses]) {
        expect([await through(mw, '2001:db8:0:1::a'), await through(mw, '2001:db8:0:1::a')]).toEqual([200, 200]);
        expect([await through(mw, '2001:db8:0:2::a'), await through(mw, '2001:db8:1:1::a')]).toEqual([200, 200]);
        expect(await through(mw, '2001:db8:0:1::a')).toBe(429);
      }
      await kv.close();
    });

    it('IPv4 is counted by its address, as before; an IPv4-mapped IPv6 address counts as that IPv4 address', async () => {
      const { kv, floods, login, guesses } = budgets();
      expect([await through(login, '1.2.3.4'), await through(login, '1.2.3.5')]).toEqual([200, 200]);
      expect([await through(login, '::ffff:1.2.3.4'), await through(login, '1.2.3.4')]).toEqual([200, 429]);
      expect(floods.size).toBe(2);
      expect([await through(guesses, '::ffff:1.2.3.4'), await through(guesses, '::FFFF:102:304')]).toEqual([200, 200]);
      expect(await through(guesses, '1.2.3.4')).toBe(429);
      expect(await kv.get('rl:bind-password:1.2.3.4')).toBe(2);
      await kv.close();
    });

    it('anything else (not an address) is counted by its text, never an error', async () => {
      const { kv, login, guesses } = budgets();
      for (const mw of [login, guesses]) {
        for (const ip of ['', 'unknown', '2001:db8::1::2', '[2001:db8::1]']) {
          expect([await through(mw, ip), await through(mw, ip), await through(mw, ip)]).toEqual([200, 200, 429]);
        }
      }
      expect(await kv.get('rl:bind-password:unknown')).toBe(2);
      await kv.close();
    });
  });
});

describe('clientKey: the key an address is counted by', () => {
  it('IPv4 as it is (the in-memory table keeps it as 32 bits)', () => {
    expect(clientKey('1.2.3.4')).toBe('1.2.3.4');
    expect(ipv4(clientKey('203.0.113.255'))).toBe(0xcb0071ff);
  });

  it('an IPv4-mapped IPv6 address in any spelling: its IPv4 address', () => {
    for (const ip of [
      '::ffff:1.2.3.4',
      '::FFFF:1.2.3.4',
      '::ffff:102:304',
      '0:0:0:0:0:ffff:0102:0304',
      '0000::ffff:1.2.3.4',
    ])
      expect(clientKey(ip), ip).toBe('1.2.3.4');
    expect(clientKey('::ffff:255.255.0.0')).toBe('255.255.0.0');
  });

  it('every spelling of one IPv6 address: one /64, written one way (RFC 5952)', () => {
    const spellings = [
      '2001:db8:0:1::1',
      '2001:DB8:0:1::1',
      '2001:0db8:0000:0001:0000:0000:0000:0001',
      '2001:db8::1:0:0:0:1',
      '2001:db8:0:1:0:0:0:1',
      '2001:db8:0:1::0.0.0.1',
      '2001:db8:0:1::1%eth0',
    ];
    for (const ip of spellings) expect(clientKey(ip), ip).toBe('2001:db8:0:1::/64');
  });

  it('expands :: wherever it stands', () => {
    expect(clientKey('::1')).toBe('::/64');
    expect(clientKey('::')).toBe('::/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8::/64');
    expect(clientKey('::2:3:4:5:6:7:8')).toBe('0:2:3:4::/64');
    expect(clientKey('1::8')).toBe('1::/64');
    expect(clientKey('1:2:3:4:5:6:7::')).toBe('1:2:3:4::/64');
    expect(clientKey('0:0:0:1::')).toBe('0:0:0:1::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80::/64');
    expect(clientKey('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('ffff:ffff:ffff:ffff::/64');
  });

  it('anything else as it is', () => {
    for (const ip of [
      '',
      'unknown',
      '01.2.3.4',
      '1.2.3',
      '2001:db8::1::2',
      '[2001:db8::1]',
      '1:2:3:4:5:6:7:8:9',
      'ab'.repeat(5000),
    ])
      expect(clientKey(ip), ip.slice(0, 20)).toBe(ip);
  });
});
