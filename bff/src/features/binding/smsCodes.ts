import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, badRequest } from '../../platform/errors.js';
import { clientKey } from '../../platform/http/limits.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { Random } from '../../platform/random.js';
import type { SmsProvider } from '../../adapters/sms/provider.js';

const CODE_TTL_MS = 5 * 60_000;
const MAX_TRIES = 5;
export const COOLDOWN_SECONDS = 60;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface CodeRecord {
  phone: string;
  digest: string;
  expiresAt: number;
}

/**
 * 6-digit codes: bound to the session that asked, 5 minutes, single use, void after 5 wrong tries,
 * a resend replaces the old one. Only an HMAC of the code is stored.
 */
export function createSmsCodes(deps: {
  kv: Kv;
  provider: SmsProvider;
  random: Random;
  secret: string;
  now: () => number;
}) {
  const { kv, now } = deps;
  const digest = (phone: string, code: string) => createHmac('sha256', deps.secret).update(`${phone}:${code}`).digest();
  const codeKey = (sessionKey: string) => `sms:${sessionKey}`;
  const triesKey = (sessionKey: string) => `smstries:${sessionKey}`;

  return {
    /** Sends a code, whether or not the phone belongs to a customer: the answer is the same. */
    async send(p: {
      phone: string;
      sessionKey: string;
      /** The WeChat identity asking: its budget outlives any one session (logging in again resets nothing). */
      identityId: number;
      ip: string;
    }): Promise<{ cooldownSeconds: number }> {
      const limit = await kv.hit([
        { key: `rl:sms:phone:m:${p.phone}`, max: 1, windowMs: MINUTE },
        { key: `rl:sms:phone:h:${p.phone}`, max: 5, windowMs: HOUR },
        { key: `rl:sms:phone:d:${p.phone}`, max: 10, windowMs: DAY },
        { key: `rl:sms:identity:${p.identityId}`, max: 5, windowMs: HOUR },
        { key: `rl:sms:ip:${clientKey(p.ip)}`, max: 30, windowMs: HOUR },
      ]);
      if (!limit.ok) {
        const retryAfterSeconds = Math.ceil(limit.retryAfterMs / 1000);
        throw new AppError(429, 'SMS_RATE_LIMITED', undefined, { retryAfterSeconds });
      }
      const code = deps.random.digits(6);
      const record: CodeRecord = {
        phone: p.phone,
        digest: digest(p.phone, code).toString('base64'),
        expiresAt: now() + CODE_TTL_MS,
      };
      await kv.set(codeKey(p.sessionKey), record, CODE_TTL_MS);
      await kv.set(triesKey(p.sessionKey), 0, CODE_TTL_MS);
      try {
        await deps.provider.send(p.phone, code);
      } catch (err) {
        await kv.del(codeKey(p.sessionKey));
        throw err;
      }
      return { cooldownSeconds: COOLDOWN_SECONDS };
    },

    /**
     * Consumes the code when it is right; every try, right or wrong, counts against the five. What it
     * returns puts the code back, for when the step it proved could not be saved (the database was
     * down): the user retries with the same code rather than losing it.
     */
    async verify(p: { phone: string; code: string; sessionKey: string }): Promise<{ restore(): Promise<void> }> {
      const record = await kv.get<CodeRecord>(codeKey(p.sessionKey));
      if (!record) throw badRequest('SMS_CODE_EXPIRED');
      const tries = await kv.incr(triesKey(p.sessionKey), CODE_TTL_MS);
      const right =
        tries <= MAX_TRIES &&
        record.phone === p.phone &&
        timingSafeEqual(Buffer.from(record.digest, 'base64'), digest(p.phone, p.code));
      if (right && (await kv.take(codeKey(p.sessionKey))))
        return {
          async restore() {
            const left = record.expiresAt - now();
            if (left > 0) await kv.set(codeKey(p.sessionKey), record, left).catch(() => undefined);
          },
        };
      if (tries >= MAX_TRIES) {
        await kv.del(codeKey(p.sessionKey));
        throw badRequest('SMS_CODE_EXHAUSTED');
      }
      throw badRequest('SMS_CODE_INVALID', undefined, { triesLeft: MAX_TRIES - tries });
    },
  };
}

export type SmsCodes = ReturnType<typeof createSmsCodes>;
