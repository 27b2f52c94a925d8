import { createHmac, randomBytes } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random `[A-Za-z0-9]` string, the shape of WeChat's codes. */
export function randomAlnum(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i]!;
    // 248 = 4 * 62: rejecting the rest keeps the characters uniform.
    if (b < 248) out += ALNUM[b % 62];
  }
  return out.length === length ? out : out + randomAlnum(length - out.length);
}

/** Random `[A-Za-z0-9_-]` string (base64url's alphabet), the shape of WeChat's tokens and tickets. */
export function randomToken(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length);
}

/** A 28-character id starting with `o`, like WeChat's openid and unionid, stable for its inputs. */
export function stableId(key: string, ...parts: string[]): string {
  const digest = createHmac('sha256', key).update(parts.join('\u0000')).digest('base64url');
  return 'o' + digest.slice(0, 27);
}
