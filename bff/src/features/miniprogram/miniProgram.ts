import type { RequestOrigin } from '../../platform/http/context.js';
import { normalizePhone, type MpSignedIn } from '@wxauth/contract';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';
import type { WechatClient } from '../../adapters/wechat/client.js';
import { createGlobalToken } from '../../adapters/wechat/globalToken.js';
import { badReplyError } from '../../adapters/wechat/errors.js';
import { AppError, badRequest } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Random } from '../../platform/random.js';
import type { Account } from '../binding/index.js';
import { nextStep, type Outcome, type Session, type Sessions } from '../session/index.js';

const HOUR = 3600_000;
/** getuserphonenumber calls a WeChat identity may make an hour: WeChat bills each one it answers. */
export const PHONE_TRIES_PER_HOUR = 5;
const PHONE_ENDPOINT = '/wxa/business/getuserphonenumber';

/**
 * A mini program's login and its phone number by WeChat. The user is an identity of the mini program's
 * appid, like the H5 app's and the website app's; one unionid makes them one customer (store.adoptByUnionid,
 * both ways, conflicts as for the website app). Sessions are bearer sessions (features/session).
 */
export function createMiniProgram(deps: {
  app: { appid: string; secret: string };
  wechat: WechatClient;
  store: Store;
  sessions: Sessions;
  account: Account;
  kv: Kv;
  tokenApi: 'stable_token' | 'token';
  random: Random;
  now: () => number;
  log?: Logger;
  metrics?: Metrics;
}) {
  const { app, wechat, store, sessions, kv } = deps;
  // The mini program's own global access_token, shared by the cluster like the Official Account's.
  const token = createGlobalToken({
    kv,
    wechat,
    app,
    tokenApi: deps.tokenApi,
    random: deps.random,
    now: deps.now,
    log: deps.log,
    onRenew: () => deps.metrics?.tokenRenewed(app.appid),
  });

  /** getuserphonenumber with the current token; a token WeChat no longer takes is expired and the call made once more. */
  const askPhone = (code: string, openid: string) =>
    token.use((accessToken) => wechat.phoneNumber({ accessToken, code, openid }));

  /** The phone WeChat verified for this session's user, checked as its document says (watermark.appid). */
  async function verifiedPhone(session: Session, code: string): Promise<string> {
    const limit = await kv.hit([
      { key: `rl:mpphone:identity:${session.identity.id}`, max: PHONE_TRIES_PER_HOUR, windowMs: HOUR },
    ]);
    if (!limit.ok)
      throw new AppError(429, 'RATE_LIMITED', undefined, { retryAfterSeconds: Math.ceil(limit.retryAfterMs / 1000) });
    // The openid too: WeChat then checks the code is this user's (getPhoneNumber's document).
    const info = (await askPhone(code, session.identity.openid)).phone_info;
    if (!info || typeof info.purePhoneNumber !== 'string') throw badReplyError(PHONE_ENDPOINT);
    // The phone is this mini program's to know: an answer marked for another app is not believed.
    if (info.watermark?.appid !== app.appid) {
      deps.log?.error({ appid: app.appid }, 'getuserphonenumber answered with another appid in its watermark');
      throw new AppError(502, 'PHONE_WATERMARK_INVALID');
    }
    const phone = String(info.countryCode) === '86' ? normalizePhone(info.purePhoneNumber) : null;
    if (!phone) throw badRequest('PHONE_COUNTRY_UNSUPPORTED');
    return phone;
  }

  async function login(code: string, held?: string, from?: RequestOrigin): Promise<Outcome<Pick<MpSignedIn, 'next'>>> {
    // The session_key is dropped here, never stored or logged: wxauth decrypts nothing of the user's (the
    // phone comes by getPhoneNumber's code, which needs no key), and a key not kept cannot leak.
    const { openid, unionid } = await wechat.jscode2session({ appid: app.appid, secret: app.secret, code });
    const upserted = await store.upsertIdentity({ appid: app.appid, openid, unionid: unionid ?? null });
    const { identity, conflict } = await store.adoptByUnionid(upserted, { kind: 'user', ...from });
    if (conflict) deps.log?.warn({ identityId: identity.id }, 'unionid is bound to more than one customer: not merged');
    // A login always holds a fresh token, and ends the one the mini program held before.
    if (held && (await sessions.load(held, 'bearer'))) await sessions.destroy(held);
    const sessionId = await sessions.create(identity.id, '/', 'bearer');
    return { body: { next: nextStep(identity) }, session: { set: sessionId } };
  }

  return {
    /** `wx.login`'s code → the identity, a new bearer session, and where to go: home, or bind a phone. */
    async login(code: string, held?: string, from?: RequestOrigin): Promise<Outcome<Pick<MpSignedIn, 'next'>>> {
      deps.metrics?.funnel('callback', 'mp');
      try {
        const outcome = await login(code, held, from);
        deps.metrics?.login(outcome.body.next);
        deps.metrics?.funnel('login', 'mp');
        if (outcome.body.next === 'home') deps.metrics?.funnel('bound', 'mp');
        return outcome;
      } catch (err) {
        deps.metrics?.login(deps.metrics.codeOf(err));
        throw err;
      }
    },

    /**
     * The getPhoneNumber button's code → the phone, bound exactly as an SMS code's phone is. It answers as
     * the login does (MpSignedIn): where to go, no returnTo. The H5 app's returnTo is the page a browser
     * left for WeChat's authorize page; a mini program never leaves its own pages, so its session's is
     * always "/", the H5 app's home and no page of the mini program's.
     */
    async bindPhone(session: Session, code: string, from?: RequestOrigin): Promise<Outcome<Pick<MpSignedIn, 'next'>>> {
      if (session.identity.appid !== app.appid) throw new AppError(403, 'BIND_METHOD_DISABLED');
      const { body, session: effect } = await deps.account.bindVerifiedPhone(
        session,
        () => verifiedPhone(session, code),
        from,
      );
      return { body: { next: body.next }, session: effect };
    },
  };
}

export type MiniProgram = ReturnType<typeof createMiniProgram>;
