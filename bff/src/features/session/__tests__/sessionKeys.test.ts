import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../adapters/kv/memory.js';
import type { Kv } from '../../../adapters/kv/types.js';
import type { Identity, Store } from '../../../adapters/store/store.js';
import { cryptoRandom } from '../../../platform/random.js';
import { createSessions } from '../sessions.js';

const SECRET = 'session-secret-for-tests-0123456789abcdef';
const identity = { id: 7, customer_id: null, revoked_at: null, appid: 'wx1', openid: 'o1', unionid: null } as Identity;
const store = { identityById: async (id: number) => (id === 7 ? identity : undefined) } as unknown as Store;

/** A kv that remembers the keys written, in order. */
function recording(kv: Kv) {
  const written: string[] = [];
  return {
    written,
    kv: { ...kv, set: (key: string, value: unknown, ttl: number) => (written.push(key), kv.set(key, value, ttl)) },
  };
}

function setup(start = Date.UTC(2026, 11, 7, 15)) {
  let t = start;
  const memory = createMemoryKv(() => t);
  const { kv, written } = recording(memory);
  const sessions = createSessions({
    kv,
    store,
    random: cryptoRandom,
    now: () => t,
    secret: SECRET,
    idleMs: 3_600_000,
    absoluteMs: 86_400_000,
  });
  return { sessions, kv: memory, written, tick: (ms: number) => (t += ms) };
}

// The SQLite state's B-tree is filed by key: new sessions under keys that grow with time land on the
// same few pages, where random keys dirtied one page each, written to the WAL at every commit.
describe('session keys', () => {
  it('file new sessions in the order they were made, their ids still 43 characters', async () => {
    const { sessions, written, tick } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(await sessions.create(7, '/'));
      tick(i % 3 === 0 ? 0 : 997);
    }
    const keys = written.filter((k) => k.startsWith('sess:'));
    expect(keys).toHaveLength(50);
    const byTime = keys.map((k) => k.slice(0, 'sess:'.length + 9));
    expect(byTime).toEqual([...byTime].sort());
    expect(new Set(byTime).size).toBeGreaterThan(30);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(ids).size).toBe(50);
  });

  it('two sessions of the same millisecond share their time and differ in the rest', async () => {
    const { sessions } = setup();
    const [a, b] = [await sessions.create(7, '/'), await sessions.create(7, '/')];
    expect(a.slice(0, 8)).toBe(b.slice(0, 8));
    expect(Buffer.from(a, 'base64url').readUIntBE(0, 6)).toBe(Date.UTC(2026, 11, 7, 15));
    expect(a.slice(8)).not.toBe(b.slice(8));
  });

  // OWASP wants 64 bits of entropy in a session id, ASVS (7.2.3) 128: the 26 bytes after the time must
  // each be random, which a comparison of two ids does not show (a tail of 10 random bytes and 16 zeros
  // differs as well). Over 2,000 ids every one of the 208 bits is set about half the time (σ ≈ 22), and
  // no two of the 26 bytes move together (equal about 1 time in 256).
  it('fills the 26 bytes after the time with 208 random bits', async () => {
    const { sessions } = setup();
    const n = 2000;
    const tails = await Promise.all(
      Array.from({ length: n }, async () => Buffer.from(await sessions.create(7, '/'), 'base64url').subarray(6)),
    );
    for (const tail of tails) expect(tail).toHaveLength(26);
    for (let bit = 0; bit < 26 * 8; bit++) {
      const set = tails.filter((t) => (t[bit >> 3]! >> (bit & 7)) & 1).length;
      expect(Math.abs(set - n / 2), `bit ${bit}`).toBeLessThan(160);
    }
    for (let i = 0; i < 26; i++)
      for (let j = i + 1; j < 26; j++)
        expect(tails.filter((t) => t[i] === t[j]).length, `bytes ${i} and ${j}`).toBeLessThan(40);
  });

  it('a session made before (a random id, filed under its HMAC alone) still loads, is kept alive and ends', async () => {
    const { sessions, kv, tick } = setup();
    const id = cryptoRandom.token(32);
    const legacy = `sess:${createHmac('sha256', SECRET).update(id).digest('base64url')}`;
    const t = Date.UTC(2026, 11, 7, 15);
    await kv.set(legacy, { identityId: 7, createdAt: t - 1000, lastSeenAt: t - 1000, returnTo: '/x' }, 3_600_000);
    const loaded = await sessions.load(id);
    expect(loaded).toMatchObject({ id, identityId: 7, returnTo: '/x' });
    tick(120_000);
    expect(await sessions.load(id)).toBeDefined();
    expect((await kv.get<{ lastSeenAt: number }>(legacy))!.lastSeenAt).toBe(t + 120_000);
    expect(await sessions.signedIn(id)).toMatchObject({ bound: false });
    await sessions.destroy(id);
    expect(await kv.get(legacy)).toBeUndefined();
    expect(await sessions.load(id)).toBeUndefined();
  });

  it("a mini program's bearer session made before is found as a bearer, not as a cookie, and ends", async () => {
    const { sessions, kv } = setup();
    const id = cryptoRandom.token(32);
    const legacy = `sess:${createHmac('sha256', SECRET).update(id).digest('base64url')}`;
    const t = Date.UTC(2026, 11, 7, 15);
    await kv.set(legacy, { identityId: 7, kind: 'bearer', createdAt: t, lastSeenAt: t, returnTo: '/' }, 3_600_000);
    expect(await sessions.load(id)).toBeUndefined();
    expect(await sessions.signedIn(id)).toBeUndefined();
    expect(await sessions.load(id, 'bearer')).toMatchObject({ id, kind: 'bearer', key: legacy.slice('sess:'.length) });
    await sessions.destroy(id);
    expect(await sessions.load(id, 'bearer')).toBeUndefined();
  });

  it('a new session is found by its whole id only: another time before its random part finds nothing', async () => {
    const { sessions, tick } = setup();
    const id = await sessions.create(7, '/');
    tick(1000);
    const later = await sessions.create(7, '/');
    expect(later.slice(0, 8)).not.toBe(id.slice(0, 8));
    for (const forged of [
      `${later.slice(0, 8)}${id.slice(8)}`,
      `AAAAAAAA${id.slice(8)}`,
      `${id.slice(0, 8)}${later.slice(8)}`,
    ])
      expect(await sessions.load(forged)).toBeUndefined();
    expect(await sessions.load(id)).toBeDefined();
    await sessions.destroy(id);
    expect(await sessions.load(id)).toBeUndefined();
    expect(await sessions.load(later)).toBeDefined();
  });

  // What a browser's cookie or a bearer header may carry (the edge lets [A-Za-z0-9_-]{16,64} through):
  // an id whose head reads as the year 1970 or as 2^48 - 1 ms, or of another length, is no session and
  // makes no error (a 5xx), whether it is loaded, checked or ended.
  it('an odd id is no session and throws nowhere', async () => {
    const { sessions } = setup();
    await sessions.create(7, '/');
    const odd = [
      'A'.repeat(43),
      '_'.repeat(43),
      '-'.repeat(43),
      'z'.repeat(42),
      'z'.repeat(44),
      'A'.repeat(16),
      '_'.repeat(64),
    ];
    for (const id of odd) {
      expect(await sessions.load(id)).toBeUndefined();
      expect(await sessions.load(id, 'bearer')).toBeUndefined();
      expect(await sessions.signedIn(id)).toBeUndefined();
      await expect(sessions.destroy(id)).resolves.toBeUndefined();
    }
  });
});

// A follow login's desktop session has the H5 site's appid: only its record tells the login funnel that
// its binding is the follow flow's. Every rewrite of the record (the idle timeout's touch) keeps that;
// every other session's record holds nothing more than before.
describe('the login funnel a session names', () => {
  it("a follow login's session keeps its flow through its rewrites; others store none", async () => {
    const { sessions, tick } = setup();
    const follow = await sessions.create(7, '/orders', 'cookie', 'follow');
    const h5 = await sessions.create(7, '/orders');
    expect(await sessions.load(follow)).toMatchObject({ flow: 'follow', returnTo: '/orders' });
    tick(61_000);
    await sessions.load(follow); // a minute on: the touch writes the record again
    expect(await sessions.load(follow)).toMatchObject({ flow: 'follow' });
    const plain = await sessions.load(h5);
    expect(plain).toBeDefined();
    expect('flow' in plain!).toBe(false);
  });
});
