import { randomFillSync } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Every random value the BFF makes comes from here, so tests can pass in a deterministic one. */
export interface Random {
  /** `[A-Za-z0-9]{length}`, uniform, from a CSPRNG. */
  alnum(length: number): string;
  /** `length` decimal digits, uniform, from a CSPRNG. */
  digits(length: number): string;
  /** base64url of `bytes` random bytes. */
  token(bytes: number): string;
}

/**
 * CSPRNG bytes drawn from a pooled buffer: one call into OpenSSL per 4 KiB instead of one per value
 * (or per character), which showed in the login benchmark's profile.
 */
function createPool(size = 4096) {
  const pool = Buffer.alloc(size);
  let offset = size;
  return (n: number): Buffer => {
    if (n > size) return randomFillSync(Buffer.alloc(n));
    if (offset + n > size) {
      randomFillSync(pool);
      offset = 0;
    }
    const out = Buffer.from(pool.subarray(offset, offset + n));
    offset += n;
    return out;
  };
}

/** Uniform characters from `alphabet` by rejection sampling, so no character is more likely. */
function fromAlphabet(bytes: (n: number) => Buffer, alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of bytes(length - out.length + 8)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export function createCryptoRandom(): Random {
  const bytes = createPool();
  return {
    alnum: (length) => fromAlphabet(bytes, ALNUM, length),
    digits: (length) => fromAlphabet(bytes, '0123456789', length),
    token: (n) => bytes(n).toString('base64url'),
  };
}

export const cryptoRandom: Random = createCryptoRandom();

/** Base-36 digits of a time in milliseconds: nine of them last until the year 5188 (36^9 ms). */
const TIME_DIGITS = 9;

/** A time in milliseconds as nine base-36 digits: later times sort after earlier ones, as text. */
export const sortableTime = (ms: number): string => ms.toString(36).padStart(TIME_DIGITS, '0');

/**
 * `[A-Za-z0-9]{length}` that sorts after every value made at an earlier millisecond: the time in
 * base 36 (digits sort before letters in ASCII), then `length - 9` random characters. Keys made of it
 * grow with time, so the SQLite state files each new one beside the last, on the same B-tree page,
 * instead of dirtying a page of its own that every commit writes to the WAL. The time is no secret
 * (a state travels in the address bar); 23 random characters keep a state 136 bits of chance.
 */
export function timeOrderedAlnum(random: Random, now: number, length: number): string {
  return sortableTime(now) + random.alnum(length - TIME_DIGITS);
}
