import type { WechatClient } from '../../adapters/wechat/client.js';
import type { Config, WechatApps } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { AppRouter } from '../../platform/http/context.js';
import { requireInternalToken } from '../../platform/http/internalToken.js';
import type { Limit } from '../../platform/http/limits.js';
import { ECHO_HEADER, ECHO_PATH, validEchoProof, type Echo } from './echo.js';
import { createPreflight } from './run.js';

/** The first value of a header as the client sent it, before TRUST_PROXY dropped it or not. */
function rawHeader(raw: string[], name: string): string | null {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1]!;
  return null;
}

/**
 * The operators' preflight (`GET /internal/preflight`, bearer INTERNAL_API_TOKEN; nginx answers 404 for
 * /internal/ from outside), and the echo preflight asks through PUBLIC_URL to see what reaches the BFF.
 */
export function preflightRoutes(
  router: AppRouter,
  { config, apps, wechat, limit }: { config: Config; apps: WechatApps; wechat: WechatClient; limit: Limit },
): void {
  const trusted = new Set(config.trustedProxies);
  const preflight = createPreflight({ config, apps, wechat });

  router.get(ECHO_PATH, (ctx) => {
    // Without a proof this path is like any other unknown one.
    if (!validEchoProof(config.internalApiToken, ctx.get(ECHO_HEADER), Date.now()))
      throw new AppError(404, 'NOT_FOUND');
    const peer = (ctx.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const echo: Echo = {
      ip: ctx.ip.replace(/^::ffff:/, ''),
      protocol: ctx.protocol,
      peer,
      trusted: trusted.has(peer),
      forwardedFor: rawHeader(ctx.req.rawHeaders, 'x-forwarded-for'),
      forwardedProto: rawHeader(ctx.req.rawHeaders, 'x-forwarded-proto'),
    };
    ctx.body = echo;
  });

  router.get(
    '/internal/preflight',
    limit('preflight', 10, 60_000),
    requireInternalToken(config.internalApiToken),
    async (ctx) => {
      ctx.body = await preflight();
    },
  );
}
