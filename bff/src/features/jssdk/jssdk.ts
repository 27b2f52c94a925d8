import { createHash } from 'node:crypto';
import type { JssdkConfig } from '@wxauth/contract';
import { badRequest } from '../../platform/errors.js';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Random } from '../../platform/random.js';
import type { WechatClient } from '../../adapters/wechat/client.js';
import { WechatError } from '../../adapters/wechat/errors.js';
import { createCredential } from '../../adapters/wechat/credential.js';
import type { Metrics } from '../../platform/metrics.js';

/** WeChat's rule: sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the url without its #fragment. */
export function jssdkSignature(p: { ticket: string; nonceStr: string; timestamp: number; url: string }): string {
  const text = `jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${p.url}`;
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The global access_token (stable_token, or cgi-bin/token when configured) and the jsapi_ticket, each a
 * shared credential: cached in the store, renewed ahead of expiry by one instance of the cluster at a
 * time. On 40001/42001 only the token that failed is expired, and the call is tried once more.
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
  metrics?: Pick<Metrics, 'tokenRenewed'>;
}) {
  const { wechat, kv, random, now } = deps;
  const renewed = (what: string) => (expiresAt: number) =>
    deps.log?.info({ appid: deps.app.appid, expiresAt: new Date(expiresAt).toISOString() }, `${what} renewed`);
  const token = createCredential({
    kv,
    random,
    now,
    key: `wx:token:${deps.app.appid}`,
    onRenew: (expiresAt) => {
      renewed(`global access_token (${deps.tokenApi})`)(expiresAt);
      deps.metrics?.tokenRenewed(deps.app.appid);
    },
    fetch: async () => {
      const t = deps.tokenApi === 'token' ? await wechat.accessToken(deps.app) : await wechat.stableToken(deps.app);
      return { value: t.access_token, expiresInSeconds: t.expires_in };
    },
  });

  async function fetchTicket(retry: boolean): Promise<{ value: string; expiresInSeconds: number }> {
    const used = await token.get();
    try {
      const t = await wechat.jsapiTicket({ accessToken: used.value });
      return { value: t.ticket, expiresInSeconds: t.expires_in };
    } catch (err) {
      const stale = err instanceof WechatError && (err.errcode === 40001 || err.errcode === 42001);
      if (!stale || !retry) throw err;
      await token.expire(used);
      return fetchTicket(false);
    }
  }
  const ticket = createCredential({
    kv,
    random,
    now,
    key: `wx:ticket:${deps.app.appid}`,
    onRenew: renewed('jsapi_ticket'),
    fetch: () => fetchTicket(true),
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
