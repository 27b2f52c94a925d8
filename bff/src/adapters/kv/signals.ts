import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Fire-and-forget notices between the instances of a deployment: "something changed under this name,
 * look again". Never the truth itself, which stays in the Kv: a notice can be missed (a subscriber that
 * joins late, Redis reconnecting), so a listener reads the Kv after subscribing and now and then after.
 */
export interface Signals {
  publish(channel: string, message: string): Promise<void>;
  /** Listens until the returned function is called. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Listeners by channel, shared by both kinds: one process's side of it. */
function listeners() {
  const byChannel = new Map<string, Set<(message: string) => void>>();
  return {
    /** Adds one; true when it is the channel's first. */
    add(channel: string, listener: (message: string) => void): boolean {
      const set = byChannel.get(channel) ?? new Set();
      set.add(listener);
      byChannel.set(channel, set);
      return set.size === 1;
    },
    /** Removes one; true when the channel has none left. */
    remove(channel: string, listener: (message: string) => void): boolean {
      const set = byChannel.get(channel);
      if (!set?.delete(listener)) return false;
      if (set.size) return false;
      byChannel.delete(channel);
      return true;
    },
    deliver(channel: string, message: string): void {
      for (const listener of [...(byChannel.get(channel) ?? [])]) listener(message);
    },
  };
}

/** One process (SQLite's state store, or in memory): notices go to this process's listeners. */
export function createLocalSignals(): Signals {
  const local = listeners();
  return {
    async publish(channel, message) {
      // As Redis delivers: after the publisher has gone on.
      queueMicrotask(() => local.deliver(channel, message));
    },
    async subscribe(channel, listener) {
      local.add(channel, listener);
      return async () => void local.remove(channel, listener);
    },
    async close() {},
  };
}

/**
 * Redis pub/sub under the deployment's key prefix: every instance hears every other's notices. A
 * connection in subscriber mode can do nothing else, so it is a second connection of its own, made on
 * the first subscription; publishing goes through the Kv's. One Redis SUBSCRIBE per channel that has
 * listeners in this process, however many there are.
 */
export function createRedisSignals(redis: Redis, prefix: string, log?: Logger): Signals {
  const local = listeners();
  let subscriber: Promise<Redis> | undefined;
  const connect = () =>
    (subscriber ??= (async () => {
      // Its offline queue on: a SUBSCRIBE sent while reconnecting is sent once the connection is back,
      // and ioredis subscribes again by itself to what it was subscribed to.
      const sub = redis.duplicate({ lazyConnect: true, enableOfflineQueue: true, commandTimeout: undefined });
      sub.on('error', (err: Error) => log?.debug({ err: { message: err.message } }, 'redis subscriber: error'));
      sub.on('message', (channel: string, message: string) => local.deliver(channel.slice(prefix.length), message));
      await sub.connect();
      return sub;
    })());

  return {
    async publish(channel, message) {
      await redis.publish(prefix + channel, message);
    },
    async subscribe(channel, listener) {
      const sub = await connect();
      if (local.add(channel, listener)) await sub.subscribe(prefix + channel);
      return async () => {
        if (local.remove(channel, listener)) await sub.unsubscribe(prefix + channel).catch(() => undefined);
      };
    },
    async close() {
      if (!subscriber) return;
      const sub = await subscriber.catch(() => undefined);
      await sub?.quit().catch(() => sub.disconnect());
    },
  };
}
