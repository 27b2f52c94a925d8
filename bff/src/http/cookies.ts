import type { Ctx } from './state.js';

export interface CookieJar {
  get(ctx: Ctx, which: 'session' | 'browser'): string | undefined;
  set(ctx: Ctx, which: 'session' | 'browser', value: string, maxAgeMs: number): void;
  clear(ctx: Ctx, which: 'session' | 'browser'): void;
}

/**
 * HttpOnly, SameSite=Lax cookies (Lax: WeChat's redirect back to /auth is a top-level navigation).
 * Under https they are Secure with the `__Host-` prefix, which pins them to this exact origin.
 */
export function createCookieJar(secure: boolean): CookieJar {
  const prefix = secure ? '__Host-' : '';
  const names = { session: `${prefix}wxauth_sid`, browser: `${prefix}wxauth_b` };
  const write = (ctx: Ctx, name: string, value: string, maxAgeSeconds: number) =>
    ctx.append(
      'Set-Cookie',
      `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
    );
  return {
    get: (ctx, which) => {
      const value = ctx.cookies.get(names[which]);
      return value && /^[A-Za-z0-9_-]{16,64}$/.test(value) ? value : undefined;
    },
    set: (ctx, which, value, maxAgeMs) => write(ctx, names[which], value, Math.floor(maxAgeMs / 1000)),
    clear: (ctx, which) => write(ctx, names[which], '', 0),
  };
}
