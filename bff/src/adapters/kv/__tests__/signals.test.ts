import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../redis.js';
import { createLocalSignals, createRedisSignals, type Signals } from '../signals.js';

const silent = pino({ level: 'silent' });
const opened: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** What a listener hears, as a promise of the next message. */
function inbox() {
  const heard: string[] = [];
  let wake: (() => void) | undefined;
  return {
    heard,
    listener: (m: string) => {
      heard.push(m);
      wake?.();
    },
    next: (ms = 2000) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message')), ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      }),
  };
}

/** Two instances of one deployment: each its own connections to the same Redis, the same prefix. */
async function redisPair(prefix: string): Promise<[Signals, Signals]> {
  const make = async () => {
    const redis = await connectRedis(inject('redisUrl'), silent);
    const signals = createRedisSignals(redis, prefix);
    opened.push(async () => {
      await signals.close();
      await redis.quit();
    });
    return signals;
  };
  return [await make(), await make()];
}

describe('signals', () => {
  it('in one process: a listener hears what is published on its channel, and nothing after it leaves', async () => {
    const signals = createLocalSignals();
    const a = inbox();
    const other = inbox();
    const leave = await signals.subscribe('follow:1', a.listener);
    await signals.subscribe('follow:2', other.listener);
    const heard = a.next();
    await signals.publish('follow:1', 'scanned');
    await heard;
    await leave();
    await signals.publish('follow:1', 'confirmed');
    await new Promise((r) => setTimeout(r, 20));
    expect(a.heard).toEqual(['scanned']);
    expect(other.heard).toEqual([]);
  });

  it('on Redis: a notice published by one instance reaches a listener on the other', async () => {
    const prefix = `sigtest${randomBytes(4).toString('hex')}:`;
    const [instanceA, instanceB] = await redisPair(prefix);
    const onB = inbox();
    const twice = inbox();
    const leave = await instanceB.subscribe('follow:x', onB.listener);
    await instanceB.subscribe('follow:x', twice.listener);
    const heard = onB.next();
    await instanceA.publish('follow:x', 'scanned');
    await heard;
    expect(onB.heard).toEqual(['scanned']);
    expect(twice.heard).toEqual(['scanned']);
    // One listener leaving keeps the channel for the other.
    await leave();
    const again = twice.next();
    await instanceA.publish('follow:x', 'confirmed');
    await again;
    expect(onB.heard).toEqual(['scanned']);
    expect(twice.heard).toEqual(['scanned', 'confirmed']);
  });

  it('on Redis: another deployment on the same server (another prefix) hears nothing', async () => {
    const [ours] = await redisPair(`sigtest${randomBytes(4).toString('hex')}:`);
    const [theirs] = await redisPair(`sigtest${randomBytes(4).toString('hex')}:`);
    const them = inbox();
    const us = inbox();
    await theirs.subscribe('follow:x', them.listener);
    await ours.subscribe('follow:x', us.listener);
    const heard = us.next();
    await ours.publish('follow:x', 'scanned');
    await heard;
    await new Promise((r) => setTimeout(r, 50));
    expect(them.heard).toEqual([]);
  });
});
