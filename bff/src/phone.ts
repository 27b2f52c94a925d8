import { badRequest } from './errors.js';

const MAINLAND_MOBILE = /^(?:\+86)?(1[3-9]\d{9})$/;

/** A mainland China mobile number, optionally with +86, as its 11 digits; anything else is a 400. */
export function parsePhone(input: unknown): string {
  const match = typeof input === 'string' ? MAINLAND_MOBILE.exec(input.trim()) : null;
  if (!match) throw badRequest('PHONE_INVALID', '请输入正确的中国大陆手机号');
  return match[1]!;
}

/** 138****0000: enough for a person to recognise, never the whole number. */
export const maskPhone = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;
