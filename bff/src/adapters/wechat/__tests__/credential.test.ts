import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../kv/memory.js';
import { cryptoRandom } from '../../../platform/random.js';
import { createCredential } from '../credential.js';

describe('a shared credential', () => {
  it('expires only the value that failed: one another instance has stored since is kept', async () => {
    const kv = createMemoryKv();
    let fetched = 0;
    const credential = createCredential({
      kv,
      key: 'wx:token:test',
      random: cryptoRandom,
      now: Date.now,
      fetch: async () => ({ value: `token-${++fetched}`, expiresInSeconds: 7200 }),
    });
    const failed = await credential.get();
    // Meanwhile another instance saw the same failure and stored a new one.
    const replaced = { value: 'token-from-the-other-instance', expiresAt: Date.now() + 7200_000 };
    await kv.set('wx:token:test', replaced, 7200_000);
    await credential.expire(failed);
    expect(await credential.get()).toEqual(replaced);
    expect(fetched).toBe(1);
    // Expiring the current value does drop it: the next caller renews.
    await credential.expire(replaced);
    expect((await credential.get()).value).toBe('token-2');
  });
});
