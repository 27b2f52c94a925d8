import { createHmac } from 'node:crypto';
import { maskPhone, type BindMethod, type BindResult, type SessionInfo, type SmsSent } from '@wxauth/contract';
import { AppError } from '../../platform/errors.js';
import { DirectoryDown, type Directory } from '../accounts/index.js';
import type { Kv } from '../../adapters/kv/types.js';
import type { LoginFlow, Metrics } from '../../platform/metrics.js';
import type { Profiles } from '../login/index.js';
import { nextStep, type Outcome, type Session, type Sessions } from '../session/index.js';
import type { SmsCodes } from './smsCodes.js';
import { CustomerIdCollision, type CustomerClaim, type Store } from '../../adapters/store/store.js';
import type { Actor } from '../../adapters/store/audit.js';
import type { RequestOrigin } from '../../platform/http/context.js';

const alreadyBound = () => new AppError(409, 'ALREADY_BOUND');

/** Password attempts: this many failures, per account, per IP and per WeChat identity, lock it this long. */
export const PASSWORD_FAILURES = 5;
export const PASSWORD_LOCK_MS = 15 * 60_000;

/**
 * The account folded the way a host's database may compare it (MySQL's *_ci and unicode collations
 * ignore case, accents and some invisible characters): spellings that reach the same account share one
 * budget. Folding too much only joins budgets. Keyed with a secret, so the state store holds no
 * reversible account name.
 */
export const foldAccount = (account: string) =>
  account
    .normalize('NFKD')
    .replace(/[\p{M}\p{Cf}\s]/gu, '')
    .toLowerCase()
    .normalize('NFKC');

/** The signed-in user's account: who they are, and binding a phone to it or dropping it. */
export function createAccount(deps: {
  store: Store;
  sessions: Sessions;
  smsCodes: SmsCodes;
  profiles: Profiles;
  directory: Directory;
  bindMethods: readonly BindMethod[];
  kv: Kv;
  now: () => number;
  /** Keys the password budgets' names (SESSION_SECRET). */
  secret: string;
  log?: { error(o: object, msg: string): void };
  metrics?: Metrics;
  /** The login funnel a session counts in (login's flowOf), for its "bound" step. */
  flowOf?: (session: Session) => LoginFlow;
  /** The customer's sessions elsewhere end with an unbind (the OpenID Connect provider's). */
  onUnbound?: (customerId: string) => Promise<void>;
}) {
  const { store, sessions, smsCodes, profiles, directory, kv, metrics } = deps;

  const allowed = (method: BindMethod) => {
    if (!deps.bindMethods.includes(method)) throw new AppError(403, 'BIND_METHOD_DISABLED');
  };

  /** The binding itself, once the phone or the password proved the customer. */
  async function bindTo(session: Session, claim: CustomerClaim, by: Actor): Promise<Outcome<BindResult>> {
    const movingTo = session.identity;
    // Whoever held that customer before loses it (store.bindCustomer): their sessions first. So do the
    // sessions of a customer the host took the phone from: they must not go on naming it.
    await sessions.voidIdentities([
      ...(await store.boundIdentities({ ref: claim.ref, phone: claim.ref === null ? claim.phone : null, movingTo })),
      ...(claim.ref !== null && claim.phone !== null ? await store.phoneHolders(claim.phone, claim.ref) : []),
    ]);
    // One transaction: if the database fails part-way, nothing of it stays.
    let bound;
    try {
      bound = await store.bindCustomer(session.identity.id, claim, by);
    } catch (err) {
      if (!(err instanceof CustomerIdCollision)) throw err;
      deps.log?.error({ customerId: err.ref }, err.message);
      throw new DirectoryDown(true);
    }
    // Binding raises what the session may do: it gets a new id.
    await sessions.destroy(session.id);
    const id = await sessions.create(session.identity.id, session.returnTo, session.kind ?? 'cookie');
    const next = nextStep({ ...session.identity, customer_id: bound.customer.id });
    if (deps.flowOf) metrics?.funnel('bound', deps.flowOf(session));
    return { body: { next, returnTo: session.returnTo }, session: { set: id } };
  }

  const hash = (text: string) => createHmac('sha256', deps.secret).update(text).digest('base64url').slice(0, 22);
  /** The password budgets this attempt draws on: the account, the IP and the WeChat identity. */
  const passwordBudgets = (session: Session, account: string, ip: string) => [
    `pw:a:${hash(foldAccount(account))}`,
    `pw:i:${ip}`,
    `pw:u:${session.identity.id}`,
  ];

  /**
   * A failure budget: each try is counted before the host is asked (so parallel guesses cannot
   * overrun it) and given back when it turned out no failure (the right password, or a host that was
   * never reached). Counted in fixed 15-minute windows; reaching the limit locks the key for 15 minutes.
   */
  function budget(key: string) {
    const window = Math.floor(deps.now() / PASSWORD_LOCK_MS);
    const tries = `${key}:${window}:n`;
    const refunds = `${key}:${window}:r`;
    const failures = async (n: number) => n - ((await kv.get<number>(refunds)) ?? 0);
    return {
      key,
      async reserve(): Promise<boolean> {
        if ((await failures(await kv.incr(tries, PASSWORD_LOCK_MS))) <= PASSWORD_FAILURES) return true;
        await kv.incr(refunds, PASSWORD_LOCK_MS);
        return false;
      },
      refund: () => kv.incr(refunds, PASSWORD_LOCK_MS),
      async failed(by: Actor & { identityId: number }): Promise<void> {
        if ((await failures((await kv.get<number>(tries)) ?? 0)) >= PASSWORD_FAILURES) await lock(key, by);
      },
    };
  }

  async function lockedFor(keys: string[]): Promise<number> {
    const until = await Promise.all(keys.map((k) => kv.get<number>(`${k}:lock`)));
    return Math.max(0, ...until.map((u) => (u ?? 0) - deps.now()));
  }
  const locked = (ms: number) =>
    new AppError(429, 'ACCOUNT_LOCKED', undefined, { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });
  /** Locks a budget, and says so in the audit trail: which budget, never the account's name. */
  async function lock(key: string, by: Actor & { identityId: number }): Promise<void> {
    await kv.set(`${key}:lock`, deps.now() + PASSWORD_LOCK_MS, PASSWORD_LOCK_MS);
    const budget = key.startsWith('pw:a:') ? 'account' : key.startsWith('pw:i:') ? 'ip' : 'wechat';
    const { identityId, ...actor } = by;
    await store.audit(
      {
        action: 'password.lockout',
        customerId: null,
        details: { budget, identityId, minutes: PASSWORD_LOCK_MS / 60_000 },
      },
      actor,
    );
  }

  return {
    async view({ identity }: Session): Promise<SessionInfo> {
      // A stale profile is fetched again in the background; this answer does not wait for WeChat.
      if (profiles.isStale(identity)) void profiles.refresh(identity);
      const customer = identity.customer_id === null ? undefined : await store.customerById(identity.customer_id);
      return {
        bound: customer !== undefined,
        unionid: identity.unionid !== null,
        user: {
          phone: customer?.phone ? maskPhone(customer.phone) : null,
          displayName: customer?.display_name ?? null,
          nickname: identity.nickname,
          avatar: identity.avatar_url,
        },
      };
    },

    async sendSms(session: Session, phone: string, ip: string): Promise<SmsSent> {
      if (session.identity.customer_id !== null) throw alreadyBound();
      try {
        const sent = await smsCodes.send({ phone, sessionKey: session.key, identityId: session.identity.id, ip });
        metrics?.sms('sent');
        return sent;
      } catch (err) {
        metrics?.sms(metrics.codeOf(err));
        throw err;
      }
    },

    bind: (session: Session, phone: string, code: string, from?: RequestOrigin) =>
      counted('sms', () => bindBySms(session, phone, code, { kind: 'user', ...from })),

    /**
     * 手机号快捷验证: a phone WeChat verified for this user (a mini program's getPhoneNumber), bound as a
     * phone proven by an SMS code is: the same directory, the same events, and the SMS switch of
     * BIND_METHODS (it proves a phone, as SMS does). `prove` asks WeChat, after the checks that cost nothing.
     */
    bindVerifiedPhone: (session: Session, prove: () => Promise<string>, from?: RequestOrigin) =>
      counted('wechat_phone', async () => {
        allowed('sms');
        if (session.identity.customer_id !== null) throw alreadyBound();
        // The event says how the phone was proven: by WeChat (a mini program's button), not an SMS code.
        const claim = await directory.forPhone(await prove());
        return bindTo(session, { ...claim, method: 'wechat_phone' }, { kind: 'user', ...from });
      }),
    bindPassword: (session: Session, account: string, password: string, from: RequestOrigin) =>
      counted('password', () => bindByPassword(session, account, password, from)),

    async unbind(session: Session, from?: RequestOrigin): Promise<Outcome<null>> {
      if (session.identity.customer_id === null) throw new AppError(409, 'NOT_BOUND');
      const customer = await store.customerById(session.identity.customer_id);
      await sessions.voidIdentities([session.identity.id]);
      await store.unbind(session.identity.id, { kind: 'user', ...from });
      if (customer) await deps.onUnbound?.(customer.ref);
      return { body: null, session: 'drop' };
    },
  };

  async function counted<T>(method: BindMethod | 'wechat_phone', bind: () => Promise<T>): Promise<T> {
    try {
      const done = await bind();
      metrics?.binding(method, 'bound');
      return done;
    } catch (err) {
      metrics?.binding(method, metrics.codeOf(err));
      throw err;
    }
  }

  async function bindBySms(session: Session, phone: string, code: string, by: Actor): Promise<Outcome<BindResult>> {
    allowed('sms');
    if (session.identity.customer_id !== null) throw alreadyBound();
    const proof = await smsCodes.verify({ phone, code, sessionKey: session.key });
    try {
      return await bindTo(session, await directory.forPhone(phone), by);
    } catch (err) {
      // The directory was down, refused the phone, or the database failed: the code stays good.
      await proof.restore();
      throw err;
    }
  }

  /**
   * 账号密码登录: the host system checks the account and password (never kept or logged here). Wrong
   * account and wrong password are one answer. Five failures of one account, one IP or one WeChat
   * identity lock it for 15 minutes. Every try is reserved against all three budgets before the host is
   * asked, and given back when it was no failure: the right password, or a host never reached.
   */
  async function bindByPassword(
    session: Session,
    account: string,
    password: string,
    from: RequestOrigin,
  ): Promise<Outcome<BindResult>> {
    const { ip } = from;
    const by = { kind: 'user' as const, ...from, identityId: session.identity.id };
    allowed('password');
    if (session.identity.customer_id !== null) throw alreadyBound();
    const keys = passwordBudgets(session, account, ip);
    const wait = await lockedFor(keys);
    if (wait > 0) throw locked(wait);
    const budgets = keys.map(budget);
    const reserved: typeof budgets = [];
    for (const b of budgets) {
      if (await b.reserve()) {
        reserved.push(b);
        continue;
      }
      await Promise.all(reserved.map((r) => r.refund()));
      await lock(b.key, by);
      throw locked(PASSWORD_LOCK_MS);
    }
    let claim;
    try {
      claim = await directory.forPassword(account, password);
    } catch (err) {
      // Nothing reached the host (the connection was refused): this try was no guess. Anything else
      // (a timeout, an error answer) may have been checked there, and counts.
      if (err instanceof DirectoryDown && !err.reached) await Promise.all(budgets.map((b) => b.refund()));
      else await Promise.all(budgets.map((b) => b.failed(by)));
      throw err;
    }
    if (!claim) {
      await Promise.all(budgets.map((b) => b.failed(by)));
      throw new AppError(401, 'CREDENTIALS_INVALID');
    }
    await Promise.all(budgets.map((b) => b.refund()));
    return bindTo(session, claim, by);
  }
}

export type Account = ReturnType<typeof createAccount>;
