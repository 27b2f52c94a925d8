import type { Logger } from 'pino';
import type { Kv } from '../kv/types.js';
import type { Random } from '../../platform/random.js';
import type { WechatClient } from './client.js';
import { createCredential } from './credential.js';
import { WechatError } from './errors.js';

/**
 * An app's global access_token (stable_token, or cgi-bin/token when configured) — the Official Account's
 * for the JS-SDK and its QR codes, the mini program's for its phone numbers — one per appid for the whole
 * cluster: cached in the store under one key, renewed ahead of expiry by one instance at a
 * time (credential.ts). Every feature that calls WeChat with it (the JS-SDK ticket, parametric QR
 * codes) goes through `use`, which expires only the token WeChat refused (40001/42001) and tries once more.
 */
export function createGlobalToken(deps: {
  wechat: WechatClient;
  kv: Kv;
  app: { appid: string; secret: string };
  tokenApi: 'stable_token' | 'token';
  random: Random;
  now: () => number;
  log?: Logger;
  /** Told each time this instance renews it (a metric of when). */
  onRenew?: (expiresAt: number) => void;
}) {
  const { wechat } = deps;
  const token = createCredential({
    kv: deps.kv,
    random: deps.random,
    now: deps.now,
    key: `wx:token:${deps.app.appid}`,
    onRenew: (expiresAt) => {
      deps.log?.info(
        { appid: deps.app.appid, expiresAt: new Date(expiresAt).toISOString() },
        `global access_token (${deps.tokenApi}) renewed`,
      );
      deps.onRenew?.(expiresAt);
    },
    fetch: async () => {
      const t = deps.tokenApi === 'token' ? await wechat.accessToken(deps.app) : await wechat.stableToken(deps.app);
      return { value: t.access_token, expiresInSeconds: t.expires_in };
    },
  });

  return {
    /** Calls `call` with the token; on 40001/42001 that token is expired and the call made once more. */
    async use<T>(call: (accessToken: string) => Promise<T>): Promise<T> {
      const used = await token.get();
      try {
        return await call(used.value);
      } catch (err) {
        const stale = err instanceof WechatError && (err.errcode === 40001 || err.errcode === 42001);
        if (!stale) throw err;
        await token.expire(used);
        return call((await token.get()).value);
      }
    },
  };
}

export type GlobalToken = ReturnType<typeof createGlobalToken>;
