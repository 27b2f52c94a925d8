import { hash } from 'node:crypto';
import type { LoginResult, QrLogin, Scope } from '@wxauth/contract';
import type { Logger } from 'pino';
import { AppError, asAppError, badRequest } from '../../platform/errors.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { RequestOrigin } from '../../platform/http/context.js';
import type { LoginFlow, Metrics } from '../../platform/metrics.js';
import { INTERACTION_PATH } from '../oidc/index.js';
import { timeOrderedAlnum, type Random } from '../../platform/random.js';
import type { Profiles } from './profiles.js';
import { nextStep, type Outcome, type SessionFlow, type SessionKind, type Sessions } from '../session/index.js';
import type { Identity, Store } from '../../adapters/store/store.js';
import type { WechatClient } from '../../adapters/wechat/client.js';
import type { OAuthTokens, UserInfo } from '../../adapters/wechat/types.js';

const STATE_TTL_MS = 10 * 60_000;
/** A finished login is remembered as long as WeChat's code lives, for back/refresh/double callbacks. */
const OUTCOME_TTL_MS = 5 * 60_000;
const PENDING_WAIT_MS = 10_000;
const PENDING_POLL_MS = 50;

/** What a state stands for while the user is at WeChat. */
interface Flow {
  appid: string;
  scope: Scope | 'snsapi_login';
  returnTo: string;
  browser: string;
}

/** What became of a login, kept under its state for a second arrival of the same code. */
type Finished =
  | { status: 'pending'; browser: string; codeHash: string }
  | { status: 'failed'; browser: string; codeHash: string; error: Pick<AppError, 'status' | 'code' | 'message'> }
  | { status: 'done'; browser: string; codeHash: string; sessionId: string; identityId: number; returnTo: string };

const stateInvalid = () => badRequest('STATE_INVALID');
const hashCode = (code: string) => hash('sha256', code, 'base64url');

/**
 * WeChat's web authorization, from the state it starts with to the session it ends in, and the
 * logout. The route gives the browser's cookies and gets back the answer and the session to hold.
 */
export function createLogin(deps: {
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
  metrics?: Metrics;
}) {
  const { kv, store, wechat, sessions } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** The funnel a login counts in (metrics): a desktop's QR code, else for an OpenID Connect client, else the site's. */
  const flowOf = (p: { appid: string; returnTo: string }): LoginFlow =>
    p.appid === deps.website?.appid ? 'pc_qr' : p.returnTo.startsWith(`${INTERACTION_PATH}/`) ? 'oidc' : 'h5';

  /** The session to answer with: a login always holds a fresh id, and drops the one held before. */
  async function signedIn(sessionId: string, next: LoginResult['next'], returnTo: string, held?: string) {
    if (held && held !== sessionId) await sessions.destroy(held);
    return { body: { next, returnTo }, session: { set: sessionId } } satisfies Outcome<LoginResult>;
  }

  /** A second arrival of the same code and state, from the same browser: the first one's outcome. */
  async function resume(state: string, code: string, browser: string, held?: string): Promise<Outcome<LoginResult>> {
    const deadline = Date.now() + PENDING_WAIT_MS;
    for (;;) {
      const finished = await kv.get<Finished>(`login:${state}`);
      // Another browser, or another code for this state: refuse, and reveal nothing about the first login.
      if (!finished || finished.browser !== browser || finished.codeHash !== hashCode(code)) throw stateInvalid();
      if (finished.status === 'failed') {
        const { status, code: errorCode, message } = finished.error;
        throw new AppError(status, errorCode, message);
      }
      if (finished.status === 'done') {
        // The login's own session, or the one that replaced it (binding gives a new id) in this browser.
        const kept = held && held !== finished.sessionId ? await sessions.load(held) : undefined;
        const session =
          (await sessions.load(finished.sessionId)) ?? (kept?.identityId === finished.identityId ? kept : undefined);
        if (!session) throw stateInvalid();
        return signedIn(session.id, nextStep(session.identity), finished.returnTo, held);
      }
      if (Date.now() > deadline) throw new AppError(503, 'LOGIN_IN_PROGRESS');
      await sleep(PENDING_POLL_MS);
    }
  }

  /**
   * A used or unknown state from a browser that is signed in: WeChat's consent page again, reached by
   * Back after the login it gave, and allowed once more. The login it started is done, so the session
   * goes on where it was going; the new code is never exchanged, so no one else's identity gets in.
   */
  async function keepSession(err: unknown, held?: string): Promise<Outcome<LoginResult>> {
    const session = err instanceof AppError && err.code === 'STATE_INVALID' ? await sessions.load(held) : undefined;
    if (!session) throw err;
    return signedIn(session.id, nextStep(session.identity), session.returnTo, held);
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

  /** The code exchanged, the identity found or made. */
  async function exchange(flow: Flow, code: string, from?: RequestOrigin): Promise<Identity> {
    const secret = flow.appid === deps.website?.appid ? deps.website.secret : deps.app.secret;
    const tokens = await wechat.exchangeCode({ appid: flow.appid, secret, code });
    if (tokens.is_snapshotuser === 1) throw new AppError(403, 'SNAPSHOT_USER');
    const profile = /snsapi_(userinfo|login)/.test(tokens.scope) ? await fetchProfile(tokens) : undefined;
    const identity = await identityOf(
      {
        appid: flow.appid,
        openid: tokens.openid,
        unionid: tokens.unionid ?? profile?.unionid ?? null,
        nickname: profile?.nickname || null,
        avatarUrl: profile?.headimgurl || null,
      },
      from,
    );
    if (profile) await deps.profiles?.keep(identity, tokens);
    return identity;
  }

  /** The identity of a WeChat user, made on first sight and joined to its customer by unionid. */
  async function identityOf(input: Parameters<Store['upsertIdentity']>[0], from?: RequestOrigin) {
    const { identity, conflict } = await store.adoptByUnionid(await store.upsertIdentity(input), {
      kind: 'user',
      ...from,
    });
    if (conflict) deps.log?.warn({ identityId: identity.id }, 'unionid is bound to more than one customer: not merged');
    return identity;
  }

  /** Mints a one-time state bound to this browser and returns WeChat's authorize URL. */
  async function start(p: { scope: Scope; returnTo: string; browser: string; website?: boolean }): Promise<string> {
    // A state that sorts by time: it and the login's outcome under it are filed beside the last ones.
    const state = timeOrderedAlnum(deps.random, Date.now(), 32);
    const website = p.website ? deps.website : undefined;
    if (p.website && !website) throw badRequest('PLATFORM_UNAVAILABLE');
    const flow: Flow = {
      appid: website?.appid ?? deps.app.appid,
      scope: website ? 'snsapi_login' : p.scope,
      returnTo: p.returnTo,
      browser: p.browser,
    };
    await kv.set(`state:${state}`, flow, STATE_TTL_MS);
    deps.metrics?.funnel('authorize', flowOf(flow));
    return website
      ? wechat.qrconnectUrl({ appid: website.appid, redirectUri: deps.redirectUri, state })
      : wechat.authorizeUrl({ appid: deps.app.appid, redirectUri: deps.redirectUri, scope: p.scope, state });
  }

  return {
    start,

    /**
     * The funnel a session's login counted in, for its next step (binding): the one its record names
     * (a follow login's), else the one its appid and returnTo tell.
     */
    flowOf: (session: { identity: { appid: string }; returnTo: string; flow?: SessionFlow }): LoginFlow =>
      session.flow ?? flowOf({ appid: session.identity.appid, returnTo: session.returnTo }),

    /** A refused flow of this browser's, taken (it can start one new flow only): what it asked. */
    async again(
      state: string,
      browser: string,
    ): Promise<{ scope: Scope; returnTo: string; website: boolean } | undefined> {
      const flow = await kv.get<Flow>(`state:${state}`);
      if (!flow || flow.browser !== browser || !(await kv.take<Flow>(`state:${state}`))) return undefined;
      if (flow.scope === 'snsapi_login') return { scope: 'snsapi_base', returnTo: flow.returnTo, website: true };
      return { scope: flow.scope, returnTo: flow.returnTo, website: false };
    },

    /** The embedded QR of wxLogin.js: its parameters, with a state under the same rules as a redirect. */
    async qrLogin(p: { returnTo: string; browser: string }): Promise<QrLogin> {
      const url = new URL((await start({ scope: 'snsapi_base', website: true, ...p })).replace(/#.*$/, ''));
      const q = url.searchParams;
      const params = {
        self_redirect: false,
        id: 'wxauth-qr',
        appid: q.get('appid')!,
        scope: 'snsapi_login' as const,
        redirect_uri: q.get('redirect_uri')!,
        state: q.get('state')!,
        style: 'black',
        href: '',
      };
      // What wxLogin.js would put in its iframe, so the page needs no script from WeChat's CDN.
      const src = new URL('/connect/qrconnect', url);
      for (const [k, v] of Object.entries({ ...params, login_type: 'jssdk', self_redirect: 'false' }))
        if (k !== 'id') src.searchParams.set(k, String(v));
      return { ...params, src: src.href };
    },

    /**
     * Finishes a login. The state is consumed atomically before the code is used; a second arrival of
     * the same code and state from the same browser (back button, refresh, WeChat's double callback)
     * gets the outcome of the first instead of an error. `held` is the session id the browser holds.
     */
    async finish(p: {
      code: string;
      state: string;
      browser: string;
      held?: string;
      from?: RequestOrigin;
    }): Promise<Outcome<LoginResult>> {
      try {
        const outcome = await finish(p);
        deps.metrics?.login(outcome.body.next);
        return outcome;
      } catch (err) {
        deps.metrics?.login(deps.metrics.codeOf(err));
        throw err;
      }
    },

    /**
     * Signs in a WeChat user that WeChat named some other way than a code (the Official Account's push
     * after a scan of its QR code): the same identity, unionid merge and fresh session as a code's login.
     */
    async enter(p: {
      appid: string;
      openid: string;
      unionid?: string | null;
      returnTo: string;
      held?: string;
      /** The funnel the session's later binding counts in, when its appid and returnTo cannot tell. */
      flow?: SessionFlow;
    }): Promise<Outcome<LoginResult>> {
      const identity = await identityOf({ appid: p.appid, openid: p.openid, unionid: p.unionid ?? null });
      const sessionId = await sessions.create(identity.id, p.returnTo, 'cookie', p.flow);
      return signedIn(sessionId, nextStep(identity), p.returnTo, p.held);
    },

    /** Ends the session held, when it is one of the kind it was held as (a cookie's id sent as a bearer ends nothing). */
    async logout(held?: string, kind: SessionKind = 'cookie'): Promise<Outcome<null>> {
      if (held && (await sessions.load(held, kind))) await sessions.destroy(held);
      return { body: null, session: 'drop' };
    },
  };

  async function finish(p: {
    code: string;
    state: string;
    browser: string;
    held?: string;
    from?: RequestOrigin;
  }): Promise<Outcome<LoginResult>> {
    const base = { browser: p.browser, codeHash: hashCode(p.code) };
    // The state taken and the login marked pending in one step (one commit): only the browser the
    // state was minted for gets the mark; another browser has used the state up for nothing.
    const outcome = `login:${p.state}`;
    const flow = await kv.takeThenSet<Flow>(`state:${p.state}`, (taken) =>
      taken.browser === p.browser
        ? { key: outcome, value: { status: 'pending', ...base } satisfies Finished, ttlMs: OUTCOME_TTL_MS }
        : undefined,
    );
    if (!flow) return resume(p.state, p.code, p.browser, p.held).catch((err) => keepSession(err, p.held));
    const funnel = flowOf(flow);
    deps.metrics?.funnel('callback', funnel);
    if (flow.browser !== p.browser) throw stateInvalid();

    try {
      const identity = await exchange(flow, p.code, p.from);
      // The session and the outcome that names it, written in one turn: one commit holds both.
      const session = sessions.open(identity.id, flow.returnTo);
      const done: Finished = {
        status: 'done',
        ...base,
        sessionId: session.id,
        identityId: identity.id,
        returnTo: flow.returnTo,
      };
      await Promise.all([session.saved, kv.set(outcome, done, OUTCOME_TTL_MS)]);
      const next = nextStep(identity);
      deps.metrics?.funnel('login', funnel);
      if (next === 'home') deps.metrics?.funnel('bound', funnel);
      return signedIn(session.id, next, flow.returnTo, p.held);
    } catch (err) {
      const known = asAppError(err);
      const e = known instanceof AppError && known.expose ? known : new AppError(502, 'LOGIN_FAILED');
      const failed: Finished = {
        status: 'failed',
        ...base,
        error: { status: e.status, code: e.code, message: e.message },
      };
      await kv.set(outcome, failed, OUTCOME_TTL_MS);
      throw err;
    }
  }
}

export type Login = ReturnType<typeof createLogin>;
