import type { Ctx } from './context.js';

/** One HttpOnly, SameSite=Lax cookie (Lax: WeChat's redirect back is a top-level navigation). */
export function setCookie(ctx: Ctx, c: { name: string; value: string; maxAgeMs: number; secure: boolean }): void {
  ctx.append(
    'Set-Cookie',
    `${c.name}=${c.value}; Path=/; Max-Age=${Math.floor(c.maxAgeMs / 1000)}; HttpOnly; SameSite=Lax${c.secure ? '; Secure' : ''}`,
  );
}
