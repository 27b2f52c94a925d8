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

  it('two sessions of the same millisecond differ in more than 200 random bits', async () => {
    const { sessions } = setup();
    const [a, b] = [await sessions.create(7, '/'), await sessions.create(7, '/')];
    expect(a.slice(0, 8)).toBe(b.slice(0, 8));
    expect(a.slice(8)).not.toBe(b.slice(8));
    expect(a.length - 8).toBeGreaterThanOrEqual(35); // 26 random bytes: 208 bits
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

  it('a new session is destroyed, and a forged time in its id finds nothing', async () => {
    const { sessions } = setup();
    const id = await sessions.create(7, '/');
    expect(await sessions.load(id)).toBeDefined();
    const other = (await sessions.create(7, '/')).slice(0, 8);
    expect(await sessions.load(`${other === id.slice(0, 8) ? 'AAAAAAAA' : other}${id.slice(8)}`)).toBeUndefined();
    await sessions.destroy(id);
    expect(await sessions.load(id)).toBeUndefined();
  });
});
