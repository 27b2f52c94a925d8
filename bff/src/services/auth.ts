import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, asAppError, badRequest } from '../errors.js';
import type { Kv } from '../kv/types.js';
import type { Random } from '../random.js';
import type { Store } from '../store/store.js';
import type { WechatClient } from '../wechat/client.js';
import type { OAuthScope, OAuthTokens, UserInfo } from '../wechat/types.js';
import type { Profiles } from './profiles.js';
import type { Sessions } from './sessions.js';

const STATE_TTL_MS = 10 * 60_000;
/** A finished login is remembered as long as WeChat's code lives, for back/refresh/double callbacks. */
const OUTCOME_TTL_MS = 5 * 60_000;
const PENDING_WAIT_MS = 10_000;
const PENDING_POLL_MS = 50;

export const STATE_PATTERN = /^[A-Za-z0-9]{32}$/;

interface FlowState {
  appid: string;
  scope: OAuthScope | 'snsapi_login';
  returnTo: string;
  browser: string;
}

type Outcome =
  | { status: 'pending'; browser: string; codeHash: string }
  | { status: 'failed'; browser: string; codeHash: string; error: { status: number; code: string; message: string } }
  | { status: 'done'; browser: string; codeHash: string; sessionId: string; identityId: number; returnTo: string };

export interface LoginResult {
  next: 'home' | 'bind';
  returnTo: string;
  sessionId: string;
}

export const stateInvalid = () => badRequest('STATE_INVALID', '登录请求已失效，请重新进入');
const hashCode = (code: string) => createHash('sha256').update(code).digest('base64url');

export function createAuthFlow(deps: {
  kv: Kv;
  store: Store;
  wechat: WechatClient;
  sessions: Sessions;
  random: Random;
  app: { appid: string; secret: string };
  /** The Open Platform website app, for PC QR login. */
  website?: { appid: string; secret: string };
  redirectUri: string;
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
  profiles?: Profiles;
}) {
  const { kv, store, wechat, sessions } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function resume(state: string, code: string, browser: string, current?: string): Promise<LoginResult> {
    const deadline = Date.now() + PENDING_WAIT_MS;
    for (;;) {
      const outcome = await kv.get<Outcome>(`login:${state}`);
      // Another browser, or another code for this state: refuse, and reveal nothing about the first login.
      if (!outcome || outcome.browser !== browser || outcome.codeHash !== hashCode(code)) throw stateInvalid();
      if (outcome.status === 'failed') {
        const { status, code: errorCode, message } = outcome.error;
        throw new AppError(status, errorCode, message);
      }
      if (outcome.status === 'done') {
        // The login's own session, or the one that replaced it (binding gives a new id) in this browser.
        const held = current && current !== outcome.sessionId ? await sessions.load(current) : undefined;
        const session =
          (await sessions.load(outcome.sessionId)) ?? (held?.identityId === outcome.identityId ? held : undefined);
        if (!session) throw stateInvalid();
        return {
          next: session.identity.customer_id === null ? 'bind' : 'home',
          returnTo: outcome.returnTo,
          sessionId: session.id,
        };
      }
      if (Date.now() > deadline) throw new AppError(503, 'LOGIN_IN_PROGRESS', '登录处理中，请稍后刷新');
      await sleep(PENDING_POLL_MS);
    }
  }

  /**
   * A used or unknown state from a browser that is signed in: WeChat's consent page again, reached by
   * Back after the login it gave, and allowed once more. The login it started is done, so the session
   * goes on where it was going; the new code is never exchanged, so no one else's identity gets in.
   */
  async function keepSession(err: unknown, current?: string): Promise<LoginResult> {
    const session = err instanceof AppError && err.code === 'STATE_INVALID' ? await sessions.load(current) : undefined;
    if (!session) throw err;
    return {
      next: session.identity.customer_id === null ? 'bind' : 'home',
      returnTo: session.returnTo,
      sessionId: session.id,
    };
  }

  /** Nickname and avatar for a snsapi_userinfo login; a failure here costs the profile, not the login. */
  async function fetchProfile(tokens: OAuthTokens): Promise<UserInfo | undefined> {
    try {
      return await wechat.userinfo({ accessToken: tokens.access_token, openid: tokens.openid });
    } catch (err) {
      deps.log?.warn({ code: (err as AppError).code }, 'sns/userinfo failed; login goes on without the profile');
      return undefined;
    }
  }

  return {
    /** Mints a one-time state bound to this browser and returns WeChat's authorize URL. */
    async start(p: { scope: OAuthScope; returnTo: string; browser: string; website?: boolean }): Promise<string> {
      const state = deps.random.alnum(32);
      const website = p.website ? deps.website : undefined;
      if (p.website && !website) throw badRequest('PLATFORM_UNAVAILABLE', '未配置网站应用，暂不支持扫码登录');
      const flow: FlowState = {
        appid: website?.appid ?? deps.app.appid,
        scope: website ? 'snsapi_login' : p.scope,
        returnTo: p.returnTo,
        browser: p.browser,
      };
      await kv.set(`state:${state}`, flow, STATE_TTL_MS);
      return website
        ? wechat.qrconnectUrl({ appid: website.appid, redirectUri: deps.redirectUri, state })
        : wechat.authorizeUrl({ appid: deps.app.appid, redirectUri: deps.redirectUri, scope: p.scope, state });
    },

    /**
     * Finishes a login. The state is consumed atomically before the code is used; a second arrival of
     * the same code and state from the same browser (back button, refresh, WeChat's double callback)
     * gets the outcome of the first instead of an error.
     */
    async finish(p: { code: string; state: string; browser: string; current?: string }): Promise<LoginResult> {
      const flow = await kv.take<FlowState>(`state:${p.state}`);
      if (!flow) return resume(p.state, p.code, p.browser, p.current).catch((err) => keepSession(err, p.current));
      if (flow.browser !== p.browser) throw stateInvalid();

      const codeHash = hashCode(p.code);
      const base = { browser: p.browser, codeHash };
      await kv.set(`login:${p.state}`, { status: 'pending', ...base } satisfies Outcome, OUTCOME_TTL_MS);
      try {
        const secret = flow.appid === deps.website?.appid ? deps.website.secret : deps.app.secret;
        const tokens = await wechat.exchangeCode({ appid: flow.appid, secret, code: p.code });
        if (tokens.is_snapshotuser === 1)
          throw new AppError(403, 'SNAPSHOT_USER', '请点击"使用完整服务"打开完整页面后再登录');
        const profile = /snsapi_(userinfo|login)/.test(tokens.scope) ? await fetchProfile(tokens) : undefined;
        const upserted = await store.upsertIdentity({
          appid: flow.appid,
          openid: tokens.openid,
          unionid: tokens.unionid ?? profile?.unionid ?? null,
          nickname: profile?.nickname || null,
          avatarUrl: profile?.headimgurl || null,
        });
        const { identity, conflict } = await store.adoptByUnionid(upserted);
        if (conflict)
          deps.log?.warn({ identityId: identity.id }, 'unionid is bound to more than one customer: not merged');
        if (profile) await deps.profiles?.keep(identity, tokens);
        const sessionId = await sessions.create(identity.id, flow.returnTo);
        const outcome: Outcome = {
          status: 'done',
          ...base,
          sessionId,
          identityId: identity.id,
          returnTo: flow.returnTo,
        };
        await kv.set(`login:${p.state}`, outcome, OUTCOME_TTL_MS);
        return { next: identity.customer_id === null ? 'bind' : 'home', returnTo: flow.returnTo, sessionId };
      } catch (err) {
        const known = asAppError(err);
        const e =
          known instanceof AppError && known.expose ? known : new AppError(502, 'LOGIN_FAILED', '登录失败，请重试');
        const outcome: Outcome = {
          status: 'failed',
          ...base,
          error: { status: e.status, code: e.code, message: e.message },
        };
        await kv.set(`login:${p.state}`, outcome, OUTCOME_TTL_MS);
        throw err;
      }
    },
  };
}

export type AuthFlow = ReturnType<typeof createAuthFlow>;
