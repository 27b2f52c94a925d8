import { createHash } from 'node:crypto';

/** A `wx.login` code or a getPhoneNumber code: one user, one mini program, once, 5 minutes. */
export interface MpCode {
  appid: string;
  user: string;
  issuedAt: number;
  used: boolean;
}

/** Users whose ids start so are high-risk (code2Session answers 40226). */
export const isRisky = (user: string): boolean => user.startsWith('risky-');
/** Users whose ids start so have no phone number on their WeChat account. */
export const hasNoPhone = (user: string): boolean => user.startsWith('nophone-');

/** The mini programs' side of the simulated WeChat: codes, session keys, each user's phone, per-user rates. */
export function miniProgramState() {
  const loginCodes = new Map<string, MpCode>();
  const phoneCodes = new Map<string, MpCode>();
  const sessionKeys = new Set<string>();
  /** A user's phone as set by a test (`/__sim/mp/phone-code {phone}`); else one derived from the id. */
  const phones = new Map<string, string>();
  /** `<user>:<minute>` → code2Session calls naming that user's codes in that minute. */
  const perMinute = new Map<string, number>();

  return {
    stores: [loginCodes, phoneCodes, sessionKeys, perMinute] as Array<{ clear(): void }>,
    loginCodes,
    phoneCodes,
    sessionKeys,

    /** The user's phone, stable for the id: 11 digits of a mainland mobile number. */
    phoneOf(user: string): string {
      const set = phones.get(user);
      if (set) return set;
      const digits = BigInt(`0x${createHash('sha256').update(user).digest('hex').slice(0, 15)}`) % 1_000_000_000n;
      return `13${digits.toString().padStart(9, '0')}`;
    },
    setPhone: (user: string, phone: string) => void phones.set(user, phone),

    /** Counts a call for `user` in this minute: false past WeChat's 100 a minute (code2Session, 45011). */
    withinMinuteRate(user: string, now: number): boolean {
      const key = `${user}:${Math.floor(now / 60_000)}`;
      const n = (perMinute.get(key) ?? 0) + 1;
      perMinute.set(key, n);
      return n <= 100;
    },

    issuedSecrets: () => [...loginCodes.keys(), ...phoneCodes.keys(), ...sessionKeys],
  };
}
