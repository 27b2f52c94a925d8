const MAINLAND_MOBILE = /^(?:\+86)?(1[3-9]\d{9})$/;

/** A mainland China mobile number, optionally with +86, as its 11 digits; null for anything else. */
export function normalizePhone(input: unknown): string | null {
  const match = typeof input === 'string' ? MAINLAND_MOBILE.exec(input.trim()) : null;
  return match ? match[1]! : null;
}

/** 138****0000: enough for a person to recognise, never the whole number. */
export const maskPhone = (phone: string): string => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

/** An SMS code as the user types it: six digits. */
export const SMS_CODE = /^\d{6}$/;
