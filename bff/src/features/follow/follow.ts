import { createHmac } from 'node:crypto';
import {
  chinaTime,
  FOLLOW_CONFIRM_PAGE,
  FOLLOW_LOGIN_ID,
  FOLLOW_REPLIES,
  type FollowLoginInfo,
  type FollowQr,
  type FollowState,
  type LoginResult,
} from '@wxauth/contract';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Signals } from '../../adapters/kv/signals.js';
import type { ParametricQr } from '../../adapters/wechat/types.js';
import type { FollowConfig } from '../../platform/config.js';
import { AppError, badRequest } from '../../platform/errors.js';
import type { FollowOutcome } from '../../platform/metrics.js';
import type { Random } from '../../platform/random.js';
import type { Outcome, Session } from '../session/index.js';
import { desktopOf, type Desktop } from './desktop.js';
import type { PushHandler, PushReply, WechatPush } from '../messages/index.js';

/** After the scan, how long the user has to confirm on the phone (the QR's own life may be over by then). */
export const CONFIRM_MS = 5 * 60_000;
/** After the confirmation, how long the desktop has to collect its session. */
const FINISH_MS = 2 * 60_000;
/** Scans of login QR codes one WeChat user may make in a minute, and of one QR code in its life. */
const SCANS_PER_USER = 10;
const SCANS_PER_LOGIN = 5;

/**
 * QR codes the whole cluster makes in a day. An Official Account may make 100 000 parametric QR codes a
 * day, its own and ours together
 * (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/API_Call_Limits.html, 获取带参数的二维码):
 * past that WeChat answers 45009 to every qrcode/create, the company's own campaigns' included. Half is
 * wxauth's at most, whatever the number of addresses asking.
 */
export const QR_PER_DAY = 50_000;
const DAY = 24 * 3600_000;

/** Scene strings of our QR codes: `wxauth_` and the login's id. Anything else is not ours. */
const SCENE_PREFIX = 'wxauth_';

/** A waiting login, as the desktop started it: never changed after. */
interface Waiting {
  desktop: Desktop;
  returnTo: string;
  createdAt: number;
  /** The QR code stops being accepted then (its expire_seconds). */
  expiresAt: number;
}

/** Who scanned, first and only. */
interface Scan {
  openid: string;
  at: number;
}

/** What the phone answered, once. */
interface Answer {
  state: 'confirmed' | 'cancelled';
  openid: string;
  unionid: string | null;
  at: number;
}

const TERMINAL: ReadonlySet<FollowState> = new Set(['confirmed', 'cancelled', 'expired']);
export const isTerminal = (state: FollowState) => TERMINAL.has(state);

const expired = () => new AppError(410, 'FOLLOW_LOGIN_EXPIRED');

/**
 * Login through the Official Account. The desktop gets a temporary QR code whose scene names a waiting
 * login; WeChat pushes the scan (`subscribe` or `SCAN`) to the message endpoint, whose handler records
 * the first scanner and answers with a link to the phone's confirm page; the confirmation (by the same
 * WeChat user, identified by snsapi_base) lets the desktop collect a session once.
 *
 * Everything lives in the shared Kv (any instance may get the push, the phone's request, the desktop's
 * event stream); each step that must happen once is a set-if-absent: the first scanner, the one answer,
 * the one session. A step notifies the login's channel, and the desktop's stream reads the Kv again.
 *
 * The desktop holds a random token (an HttpOnly cookie); the login's id is an HMAC of it, so the id in
 * the confirm link (and in the scene, which WeChat sees) never lets anyone act for the desktop.
 */
export function createFollowLogin(deps: {
  kv: Kv;
  signals: Signals;
  /** The Official Account whose QR codes these are: the scanner's openid is of this appid. */
  appid: string;
  settings: FollowConfig;
  publicUrl: string;
  /** Keys the HMAC from the desktop's token to the login's id. */
  secret: string;
  /** `cgi-bin/qrcode/create` with the cluster's global token. */
  createQr: (scene: string, expireSeconds: number) => Promise<ParametricQr>;
  /** The image of a ticket (`showqrcode`). */
  qrImage: (ticket: string) => string;
  /** Demo mode: the desktop page links to what the code encodes (the simulator's scan page). */
  demo?: boolean;
  /** QR codes the cluster may make in a day (QR_PER_DAY). */
  qrPerDay?: number;
  /** Signs a WeChat user in (features/login's `enter`): identity, unionid merge, a fresh session. */
  enter: (p: {
    appid: string;
    openid: string;
    unionid: string | null;
    returnTo: string;
    held?: string;
    /** The session remembers it came from a follow login: its binding counts in the follow funnel. */
    flow: 'follow';
  }) => Promise<Outcome<LoginResult>>;
  random: Random;
  now: () => number;
  log?: Logger;
  metrics?: { followLogin(outcome: FollowOutcome): void; funnel(step: 'bound', flow: 'follow'): void };
}) {
  const { kv, signals, settings, now } = deps;
  const ttlMs = settings.ttlSeconds * 1000;
  /**
   * How long the first scan, the one answer and the one collection are kept: the login's whole life (as
   * its waiting record), so that none lapses into a second chance while the login lives: a cancel turned
   * into a confirm from the chat's link, or a second scanner of a long-lived QR code after the first's
   * five minutes.
   */
  const keptMs = ttlMs + CONFIRM_MS + FINISH_MS;
  const site = new URL(deps.publicUrl).host;
  const count = (outcome: FollowOutcome) => deps.metrics?.followLogin(outcome);

  const key = (id: string, part?: 'scan' | 'answer' | 'finished') => `follow:${id}${part ? `:${part}` : ''}`;
  const channel = (id: string) => `follow:${id}`;
  const notify = (id: string, state: FollowState) =>
    signals.publish(channel(id), state).catch((err: unknown) => {
      // The Kv has it: a stream that misses this notice sees the change at its next look.
      deps.log?.warn({ err: { message: (err as Error).message } }, 'follow login: notice not published');
    });

  /** The desktop's token → its login's id: 32 hex digits, also the scene's tail. */
  const idOf = (token: string) =>
    createHmac('sha256', deps.secret).update(`follow:${token}`).digest('hex').slice(0, 32);

  async function stateOf(id: string): Promise<FollowState> {
    const [waiting, scan, answer] = await Promise.all([
      kv.get<Waiting>(key(id)),
      kv.get<Scan>(key(id, 'scan')),
      kv.get<Answer>(key(id, 'answer')),
    ]);
    const t = now();
    if (!waiting) return 'expired';
    if (answer) return answer.state === 'confirmed' && t > answer.at + FINISH_MS ? 'expired' : answer.state;
    if (scan) return t > scan.at + CONFIRM_MS ? 'expired' : 'scanned';
    return t > waiting.expiresAt ? 'expired' : 'waiting';
  }

  /** The reply's words, its placeholders filled in. */
  const fill = (text: string, waiting: Waiting, link: string) =>
    text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const values: Record<string, string> = {
        site,
        browser: waiting.desktop.browser,
        os: waiting.desktop.os,
        time: chinaTime(waiting.createdAt),
        link,
      };
      return values[name] ?? whole;
    });
  const text = (content: string): PushReply => ({ kind: 'text', content });

  /** The scene of a push that is ours: a subscribe through our QR code (`qrscene_wxauth_…`) or a follower's SCAN. */
  function sceneOf(push: WechatPush): string | null {
    // https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
    // (扫描带参数二维码事件): a new follower's EventKey is qrscene_ + the scene; a follower's is the scene.
    if (push.MsgType !== 'event' || typeof push.EventKey !== 'string') return null;
    const scene =
      push.Event === 'subscribe' && push.EventKey.startsWith('qrscene_')
        ? push.EventKey.slice('qrscene_'.length)
        : push.Event === 'SCAN'
          ? push.EventKey
          : null;
    return scene?.startsWith(SCENE_PREFIX) ? scene : null;
  }

  /** A scan of one of our QR codes: the first scanner's login goes on, no one else's ever. */
  async function scanned(push: WechatPush, scene: string): Promise<PushReply> {
    const openid = push.FromUserName;
    const id = scene.slice(SCENE_PREFIX.length);
    if (!FOLLOW_LOGIN_ID.test(id) || !openid) {
      count('expired');
      return text(FOLLOW_REPLIES.expired);
    }
    const limited = await kv.hit([
      { key: `rl:follow-scan:user:${openid}`, max: SCANS_PER_USER, windowMs: 60_000 },
      { key: `rl:follow-scan:login:${id}`, max: SCANS_PER_LOGIN, windowMs: ttlMs + CONFIRM_MS },
    ]);
    if (!limited.ok) {
      count('limited');
      return text(FOLLOW_REPLIES.limited);
    }
    const waiting = await kv.get<Waiting>(key(id));
    const t = now();
    let scan = await kv.get<Scan>(key(id, 'scan'));
    if (!waiting || (!scan && t > waiting.expiresAt)) {
      count('expired');
      return text(FOLLOW_REPLIES.expired);
    }
    const first = !scan && (await kv.setIfAbsent(key(id, 'scan'), { openid, at: t } satisfies Scan, keptMs));
    scan = first ? { openid, at: t } : await kv.get<Scan>(key(id, 'scan'));
    if (!scan || scan.openid !== openid) {
      count(scan ? 'taken' : 'expired');
      return text(scan ? FOLLOW_REPLIES.taken : FOLLOW_REPLIES.expired);
    }
    if (!first) {
      // The same user scanning again: the same reply, unless the login is answered or over.
      if (await kv.get<Answer>(key(id, 'answer'))) {
        count('answered');
        return text(FOLLOW_REPLIES.answered);
      }
      if (t > scan.at + CONFIRM_MS) {
        count('expired');
        return text(FOLLOW_REPLIES.expired);
      }
    } else {
      count('scanned');
      deps.log?.info({ login: id.slice(0, 8), event: push.Event }, 'follow login: scanned');
    }

    if (!settings.confirm) {
      // FOLLOW_LOGIN_CONFIRM=0: the scan alone signs the desktop in (the operator accepted the risk).
      if (first) await answer(id, { state: 'confirmed', openid, unionid: null, at: t });
      return text(fill(FOLLOW_REPLIES.signedIn, waiting, ''));
    }
    if (first) await notify(id, 'scanned');
    const link = `${deps.publicUrl}${FOLLOW_CONFIRM_PAGE}?${new URLSearchParams({ login: id })}`;
    return text(fill(settings.replyText, waiting, link));
  }

  /** The one answer: false when there was one already. */
  async function answer(id: string, a: Answer): Promise<boolean> {
    if (!(await kv.setIfAbsent(key(id, 'answer'), a, keptMs))) return false;
    count(a.state);
    await notify(id, a.state);
    return true;
  }

  /** The phone's side: the login, if this user is its scanner. */
  async function asked(id: string, session: Session): Promise<{ waiting: Waiting; scan: Scan }> {
    const [waiting, scan] = await Promise.all([kv.get<Waiting>(key(id)), kv.get<Scan>(key(id, 'scan'))]);
    if (!waiting || !scan || now() > scan.at + CONFIRM_MS) throw expired();
    // snsapi_base on the confirm page gave this session's openid: it must be the scanner's, of the same account.
    if (session.identity.appid !== deps.appid || session.identity.openid !== scan.openid)
      throw new AppError(403, 'FOLLOW_LOGIN_OTHER_USER');
    return { waiting, scan };
  }

  const pushHandler: PushHandler = {
    async handle(push) {
      const scene = sceneOf(push);
      return scene === null ? null : scanned(push, scene);
    },
  };

  return {
    pushHandler,
    idOf,
    stateOf,
    now,

    /** Listens to the login's notices (a step was taken: read the state again). */
    subscribe: (id: string, listener: () => void) => signals.subscribe(channel(id), listener),

    /** A new waiting login for this desktop: its token (for the cookie) and the QR code to show. */
    async start(p: { returnTo: string; userAgent: string }): Promise<{ token: string; qr: FollowQr }> {
      const budget = await kv.hit([{ key: 'rl:follow-qr:account', max: deps.qrPerDay ?? QR_PER_DAY, windowMs: DAY }]);
      if (!budget.ok) {
        deps.log?.warn(
          "follow login: the day's QR codes are used up (QR_PER_DAY); desktops are refused until the window ends",
        );
        throw new AppError(429, 'RATE_LIMITED', undefined, {
          retryAfterSeconds: Math.ceil(budget.retryAfterMs / 1000),
        });
      }
      const token = deps.random.token(32);
      const id = idOf(token);
      const qr = await deps.createQr(`${SCENE_PREFIX}${id}`, settings.ttlSeconds);
      const lifeSeconds = Math.min(settings.ttlSeconds, qr.expire_seconds || settings.ttlSeconds);
      const t = now();
      const waiting: Waiting = {
        desktop: desktopOf(p.userAgent),
        returnTo: p.returnTo,
        createdAt: t,
        expiresAt: t + lifeSeconds * 1000,
      };
      await kv.set(key(id), waiting, lifeSeconds * 1000 + CONFIRM_MS + FINISH_MS);
      count('qr');
      const shown: FollowQr = { qr: deps.qrImage(qr.ticket), expiresIn: lifeSeconds };
      return { token, qr: deps.demo ? { ...shown, demoScan: qr.url } : shown };
    },

    /** When the QR code stops being accepted, for the desktop's stream to look again then. */
    async expiresAt(id: string): Promise<number | undefined> {
      return (await kv.get<Waiting>(key(id)))?.expiresAt;
    },

    /** What the phone's confirm page shows. */
    async info(id: string, session: Session): Promise<FollowLoginInfo> {
      const { waiting } = await asked(id, session);
      return { site, desktop: waiting.desktop, at: waiting.createdAt, state: await stateOf(id) };
    },

    /** 确认登录 or 取消, once, by the scanner. */
    async answer(id: string, session: Session, state: Answer['state']): Promise<{ state: FollowState }> {
      const { scan } = await asked(id, session);
      const answered = await answer(id, { state, openid: scan.openid, unionid: session.identity.unionid, at: now() });
      if (!answered) throw new AppError(409, 'FOLLOW_LOGIN_ANSWERED');
      deps.log?.info({ login: id.slice(0, 8), state }, 'follow login: answered on the phone');
      return { state };
    },

    /** The desktop collects its session, once, after the confirmation. */
    async finish(token: string, held?: string): Promise<Outcome<LoginResult>> {
      const id = idOf(token);
      const [waiting, a] = await Promise.all([kv.get<Waiting>(key(id)), kv.get<Answer>(key(id, 'answer'))]);
      if (!waiting) throw expired();
      if (!a || a.state !== 'confirmed') throw new AppError(409, 'FOLLOW_LOGIN_NOT_CONFIRMED');
      if (now() > a.at + FINISH_MS || !(await kv.setIfAbsent(key(id, 'finished'), true, keptMs))) throw expired();
      const outcome = await deps.enter({
        appid: deps.appid,
        openid: a.openid,
        unionid: a.unionid,
        returnTo: waiting.returnTo,
        held,
        // The session has the H5 site's appid: only this tells its binding apart from an H5 login's.
        flow: 'follow',
      });
      count('signed_in');
      // A customer already: bound at once (an unbound one counts when the desktop binds).
      if (outcome.body.next === 'home') deps.metrics?.funnel('bound', 'follow');
      return outcome;
    },
  };
}

export type FollowLogin = ReturnType<typeof createFollowLogin>;

/** The desktop's cookie is missing or malformed. */
export const noDesktop = () => badRequest('STATE_INVALID');
