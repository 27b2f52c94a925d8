import { createHash } from 'node:crypto';
import type { JssdkConfig } from '@wxauth/contract';
import { badRequest } from '../../platform/errors.js';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Random } from '../../platform/random.js';
import type { WechatClient } from '../../adapters/wechat/client.js';
import { createCredential } from '../../adapters/wechat/credential.js';
import { createGlobalToken, type GlobalToken } from '../../adapters/wechat/globalToken.js';

/** WeChat's rule: sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the url without its #fragment. */
export function jssdkSignature(p: { ticket: string; nonceStr: string; timestamp: number; url: string }): string {
  const text = `jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${p.url}`;
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The jsapi_ticket, a shared credential: cached in the store, renewed ahead of expiry by one instance of
 * the cluster at a time, fetched with the cluster's global access_token (adapters/wechat/globalToken.ts).
 */
export function createJssdk(deps: {
  wechat: WechatClient;
  kv: Kv;
  app: { appid: string; secret: string };
  tokenApi: 'stable_token' | 'token';
  /** Origins whose pages may be signed: the site's own (PUBLIC_URL, and WX_JSSDK_ORIGINS). */
  origins: string[];
  random: Random;
  now: () => number;
  log?: Logger;
  /** The cluster's global access_token, shared with the other features that use it. */
  token?: GlobalToken;
}) {
  const { wechat, kv, random, now } = deps;
  const renewed = (expiresAt: number) =>
    deps.log?.info({ appid: deps.app.appid, expiresAt: new Date(expiresAt).toISOString() }, 'jsapi_ticket renewed');
  const token = deps.token ?? createGlobalToken({ ...deps });
  const fetchTicket = () =>
    token.use(async (accessToken) => {
      const t = await wechat.jsapiTicket({ accessToken });
      return { value: t.ticket, expiresInSeconds: t.expires_in };
    });
  const ticket = createCredential({
    kv,
    random,
    now,
    key: `wx:ticket:${deps.app.appid}`,
    onRenew: renewed,
    fetch: fetchTicket,
  });

  const origins = new Set(deps.origins);

  return {
    /** `wx.config`'s signature for a page of one of the site's origins. */
    async config(rawUrl: unknown): Promise<JssdkConfig> {
      let url: URL;
      try {
        url = new URL(String(rawUrl));
      } catch {
        throw badRequest('URL_INVALID');
      }
      if (typeof rawUrl !== 'string' || !origins.has(url.origin)) throw badRequest('URL_INVALID');
      const pageUrl = rawUrl.split('#')[0]!;
      const nonceStr = deps.random.alnum(16);
      const timestamp = Math.floor(now() / 1000);
      const signature = jssdkSignature({ ticket: (await ticket.get()).value, nonceStr, timestamp, url: pageUrl });
      return { appId: deps.app.appid, timestamp, nonceStr, signature };
    },
  };
}

export type Jssdk = ReturnType<typeof createJssdk>;
