import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The BFF's own view of a request that came through PUBLIC_URL (nginx included): the client IP and
 * scheme it believes, and what it was sent. Answered only to a proof made with INTERNAL_API_TOKEN, so
 * it is no oracle for anyone else, and the token itself never travels (PUBLIC_URL may be http).
 */
export const ECHO_PATH = '/api/preflight/echo';
export const ECHO_HEADER = 'x-wxauth-preflight';
const WINDOW_S = 60;

export interface Echo {
  /** The client IP the BFF believes (Koa's ctx.ip). */
  ip: string;
  /** The scheme the BFF believes (Koa's ctx.protocol). */
  protocol: string;
  /** The address that connected to the BFF (nginx, or the client itself). */
  peer: string;
  /** Whether `peer` is in TRUST_PROXY. */
  trusted: boolean;
  /** X-Forwarded-For and -Proto as they arrived, believed or not; null when absent. */
  forwardedFor: string | null;
  forwardedProto: string | null;
}

const mac = (key: string, t: number) => createHmac('sha256', key).update(`wxauth preflight echo ${t}`).digest();

/** `<unix seconds>.<hex HMAC>`: good for a minute either side of the BFF's clock. */
export const echoProof = (key: string, now: number): string => {
  const t = Math.floor(now / 1000);
  return `${t}.${mac(key, t).toString('hex')}`;
};

export function validEchoProof(key: string, proof: string | undefined, now: number): boolean {
  const m = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(proof ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(now / 1000 - t) > WINDOW_S) return false;
  return timingSafeEqual(Buffer.from(m[2]!, 'hex'), mac(key, t));
}
