import { createHash } from 'node:crypto';
import { badRequest } from '../errors.js';
import type { Random } from '../random.js';
import type { WechatClient } from '../wechat/client.js';
import { WechatError } from '../wechat/errors.js';

/** Renew this long before WeChat's expiry, so no request ever holds a token in its last minutes. */
const AHEAD_MS = 5 * 60_000;

interface Cached {
  value: string;
  expiresAt: number;
}

/** WeChat's rule: sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the url without its #fragment. */
export function jssdkSignature(p: { ticket: string; nonceStr: string; timestamp: number; url: string }): string {
  const text = `jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${p.url}`;
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The global access_token (through stable_token) and the jsapi_ticket, cached and renewed ahead of
 * expiry, one fetch at a time. On 40001/42001 only the token that failed is expired, and the call is
 * tried once more. In-process: one instance (shared caches and locks come with Redis).
 */
export function createJssdk(deps: {
  wechat: WechatClient;
  app: { appid: string; secret: string };
  publicUrl: string;
  random: Random;
  now: () => number;
}) {
  const { wechat, now } = deps;
  let token: Cached | undefined;
  let ticket: Cached | undefined;
  let tokenFetch: Promise<Cached> | undefined;
  let ticketFetch: Promise<Cached> | undefined;
  const fresh = (c: Cached | undefined) => c !== undefined && c.expiresAt - AHEAD_MS > now();

  function getToken(): Promise<Cached> {
    if (fresh(token)) return Promise.resolve(token!);
    tokenFetch ??= wechat
      .stableToken(deps.app)
      .then((t) => (token = { value: t.access_token, expiresAt: now() + t.expires_in * 1000 }))
      .finally(() => (tokenFetch = undefined));
    return tokenFetch;
  }

  async function fetchTicket(retry: boolean): Promise<Cached> {
    const used = await getToken();
    try {
      const t = await wechat.jsapiTicket({ accessToken: used.value });
      return (ticket = { value: t.ticket, expiresAt: now() + t.expires_in * 1000 });
    } catch (err) {
      const stale = err instanceof WechatError && (err.errcode === 40001 || err.errcode === 42001);
      if (!stale || !retry) throw err;
      if (token === used) token = undefined;
      return fetchTicket(false);
    }
  }

  function getTicket(): Promise<Cached> {
    if (fresh(ticket)) return Promise.resolve(ticket!);
    ticketFetch ??= fetchTicket(true).finally(() => (ticketFetch = undefined));
    return ticketFetch;
  }

  const site = new URL(deps.publicUrl).origin;

  return {
    /** `wx.config`'s signature for a page of this site. */
    async config(rawUrl: unknown) {
      let url: URL;
      try {
        url = new URL(String(rawUrl));
      } catch {
        throw badRequest('URL_INVALID', 'url 须为本站页面的完整地址');
      }
      if (typeof rawUrl !== 'string' || url.origin !== site)
        throw badRequest('URL_INVALID', 'url 须为本站页面的完整地址');
      const pageUrl = rawUrl.split('#')[0]!;
      const nonceStr = deps.random.alnum(16);
      const timestamp = Math.floor(now() / 1000);
      const signature = jssdkSignature({ ticket: (await getTicket()).value, nonceStr, timestamp, url: pageUrl });
      return { appId: deps.app.appid, timestamp, nonceStr, signature };
    },
  };
}

export type Jssdk = ReturnType<typeof createJssdk>;
