import { randomBytes, randomInt } from 'node:crypto';

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

export const cryptoRandom: Random = {
  alnum: (length) => Array.from({ length }, () => ALNUM[randomInt(62)]).join(''),
  digits: (length) => Array.from({ length }, () => String(randomInt(10))).join(''),
  token: (bytes) => randomBytes(bytes).toString('base64url'),
};
