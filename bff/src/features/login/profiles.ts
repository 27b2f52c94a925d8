import type { Logger } from 'pino';
import type { AppError } from '../../platform/errors.js';
import type { Identity, Store } from '../../adapters/store/store.js';
import type { WechatClient } from '../../adapters/wechat/client.js';
import type { OAuthTokens } from '../../adapters/wechat/types.js';
import type { Sealer } from '../../platform/sealer.js';

const REFRESH_TOKEN_LIFE_MS = 30 * 24 * 3600_000;

interface KeptTokens {
  accessToken: string;
  refreshToken: string;
  refreshExpiresAt: number;
}

/**
 * Nickname and avatar kept fresh: WeChat's user tokens are kept only sealed (AES-256-GCM) on the
 * server, and only when a key is configured; a stale profile is fetched again after an sns/auth
 * check, through refresh_token (30 days) when the access token has run out.
 */
export function createProfiles(deps: {
  store: Store;
  wechat: WechatClient;
  sealer: Sealer | null;
  now: () => number;
  refreshAfterMs: number;
  log?: Logger;
}) {
  const { store, wechat, sealer, now } = deps;
  const boundTo = (i: Identity) => `${i.appid}:${i.openid}`;
  const inFlight = new Map<number, Promise<void>>();

  async function refreshNow(identity: Identity): Promise<void> {
    const kept =
      sealer && identity.tokens_sealed ? sealer.open<KeptTokens>(identity.tokens_sealed, boundTo(identity)) : undefined;
    const drop = () => store.updateProfile(identity.id, { tokensSealed: null });
    if (!kept) return drop();
    let accessToken = kept.accessToken;
    try {
      await wechat.checkToken({ accessToken, openid: identity.openid });
    } catch {
      if (kept.refreshExpiresAt <= now()) return drop();
      try {
        accessToken = (await wechat.refreshToken({ appid: identity.appid, refreshToken: kept.refreshToken }))
          .access_token;
      } catch (err) {
        if ((err as AppError).code === 'WECHAT_REFRESH_TOKEN_INVALID') return drop();
        throw err;
      }
    }
    const info = await wechat.userinfo({ accessToken, openid: identity.openid });
    await store.updateProfile(identity.id, {
      nickname: info.nickname,
      avatarUrl: info.headimgurl,
      tokensSealed: sealer!.seal({ ...kept, accessToken } satisfies KeptTokens, boundTo(identity)),
      refreshedAt: now(),
    });
  }

  return {
    /** After a login that read the profile: keep its tokens, sealed, or nothing without a key. */
    async keep(identity: Identity, tokens: OAuthTokens): Promise<void> {
      if (!sealer) return;
      const kept: KeptTokens = {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        refreshExpiresAt: now() + REFRESH_TOKEN_LIFE_MS,
      };
      await store.updateProfile(identity.id, {
        tokensSealed: sealer.seal(kept, boundTo(identity)),
        refreshedAt: now(),
      });
    },

    isStale: (identity: Identity) =>
      sealer !== null &&
      identity.tokens_sealed !== null &&
      (identity.profile_refreshed_at ?? 0) + deps.refreshAfterMs <= now(),

    /** One refresh at a time per identity; a failure keeps the old profile and is logged. */
    refresh(identity: Identity): Promise<void> {
      const running = inFlight.get(identity.id);
      if (running) return running;
      const job = refreshNow(identity)
        .catch((err: AppError) => deps.log?.warn({ identityId: identity.id, code: err.code }, 'profile refresh failed'))
        .finally(() => inFlight.delete(identity.id));
      inFlight.set(identity.id, job);
      return job;
    },
  };
}

export type Profiles = ReturnType<typeof createProfiles>;
