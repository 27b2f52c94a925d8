import { isIPv6 } from 'node:net';
import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import type { AppState } from './context.js';

/** Counts a hit against each budget: ok, or how long until the fullest one has room again. */
export type Hit = (
  budgets: Array<{ key: string; max: number; windowMs: number }>,
) => Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;

/** Counts a hit of an address against a budget of a minute or less, in this process. */
export type Flood = (
  name: string,
  ip: string,
  max: number,
  windowMs: number,
) => { ok: true } | { ok: false; retryAfterMs: number };

/** A route's per-IP budget: its name, how many requests, in what window. */
export type Limit = (name: string, max: number, windowMs: number) => Middleware<AppState>;

/** The longest budget that guards against floods alone (see limitPerIp). */
export const FLOOD_WINDOW_MS = 60_000;

/**
 * The client an address is counted as by the per-IP budgets. An IPv6 client holds a whole /64 (RFC 4291
 * §2.5.4: a line is given one, or more) and may take any address in it (privacy addresses, RFC 8981):
 * counted one address apart, each address would bring a fresh budget, and a fresh counter. So:
 * - IPv4 (or anything without a colon) as it is: the in-memory table's fast path reads it as 32 bits;
 * - an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, any spelling) as its IPv4 address;
 * - other IPv6 as its /64 in one spelling (RFC 5952: lower case, no leading zeros, `::` for the zeros
 *   at the end), e.g. `2001:db8:0:1::/64`; a zone id (`fe80::1%eth0`) is dropped;
 * - anything else (not an address) as it is. It never throws.
 */
export function clientKey(ip: string): string {
  if (!ip.includes(':') || !isIPv6(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  const prefix = groups.slice(0, 4);
  while (prefix.length > 0 && prefix.at(-1) === 0) prefix.pop();
  return `${prefix.map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an address `isIPv6` took (`::` expanded, a dotted IPv4 tail as two), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.split('%', 1)[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (zeros < 0) return undefined;
  const groups = [...head, ...Array<string>(zeros).fill('0'), ...tail].map((g) =>
    /^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN,
  );
  return groups.length === 8 && groups.every((g) => !Number.isNaN(g)) ? groups : undefined;
}

/**
 * A per-IP budget for endpoints that write state for anonymous callers. A budget of a minute or less
 * guards against floods: with `floods`, it is counted there (this process's memory, when the state is
 * not shared with other instances), since a restart that starts it again lets through one more
 * minute at most. A longer budget guards against guessing (passwords) and is counted by `hit`, in
 * the state that outlives a restart. Both count the client by `clientKey`: an IPv6 client by its /64.
 */
export const limitPerIp =
  (hit: Hit, floods?: Flood): Limit =>
  (name, max, windowMs) =>
  async (ctx, next) => {
    const client = clientKey(ctx.ip);
    const result =
      floods && windowMs <= FLOOD_WINDOW_MS
        ? floods(name, client, max, windowMs)
        : await hit([{ key: `rl:${name}:${client}`, max, windowMs }]);
    if (!result.ok) {
      const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
      throw new AppError(429, 'RATE_LIMITED', undefined, { retryAfterSeconds });
    }
    return next();
  };
