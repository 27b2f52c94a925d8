import { randomBytes } from 'node:crypto';

/** Secrets as an operator makes them (openssl rand), for a configuration preflight has nothing against. */
export const STRONG = {
  session: randomBytes(32).toString('base64url'),
  internal: randomBytes(32).toString('base64url'),
  profileKey: randomBytes(32).toString('hex'),
};

export const APP = { appid: 'wx0123456789abcdef', secret: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6' };
export const WEBSITE = { appid: 'wxfedcba9876543210', secret: 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4' };

/** A production configuration: WeChat's own hosts, https, strong secrets. Tests point parts elsewhere. */
export const PRODUCTION_ENV: Record<string, string> = {
  WX_APPID: APP.appid,
  WX_APPSECRET: APP.secret,
  PUBLIC_URL: 'https://h5.example.com',
  SESSION_SECRET: STRONG.session,
  INTERNAL_API_TOKEN: STRONG.internal,
  PROFILE_TOKEN_KEY: STRONG.profileKey,
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: 'https://sms.example.com/send',
  TRUST_PROXY: 'loopback',
};
