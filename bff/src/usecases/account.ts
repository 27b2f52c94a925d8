import { createHash } from 'node:crypto';
import { maskPhone, type BindMethod, type BindResult, type SessionInfo, type SmsSent } from '@wxauth/contract';
import { AppError } from '../errors.js';
import type { Directory } from '../host/directory.js';
import type { Kv } from '../kv/types.js';
import type { Metrics } from '../metrics.js';
import type { Profiles } from '../services/profiles.js';
import { nextStep, type Outcome, type Session, type Sessions } from '../services/sessions.js';
import type { SmsCodes } from '../services/smsCodes.js';
import type { CustomerClaim, Store } from '../store/store.js';

const alreadyBound = () => new AppError(409, 'ALREADY_BOUND');

/** Password attempts: this many failures, per account, per IP and per WeChat identity, lock it this long. */
export const PASSWORD_FAILURES = 5;
export const PASSWORD_LOCK_MS = 15 * 60_000;

/** The account as a key: case and width do not make a new one to guess against; never stored as typed. */
const accountKey = (account: string) =>
  createHash('sha256').update(account.normalize('NFKC').toLowerCase()).digest('base64url').slice(0, 22);

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
  metrics?: Metrics;
}) {
  const { store, sessions, smsCodes, profiles, directory, kv, metrics } = deps;

  const allowed = (method: BindMethod) => {
    if (!deps.bindMethods.includes(method)) throw new AppError(403, 'BIND_METHOD_DISABLED');
  };

  /** The binding itself, once the phone or the password proved the customer. */
  async function bindTo(session: Session, claim: CustomerClaim): Promise<Outcome<BindResult>> {
    const movingTo = session.identity;
    // Whoever held that customer before loses it (store.bindCustomer): their sessions first.
    await sessions.voidIdentities(
      await store.boundIdentities({ ref: claim.ref, phone: claim.ref === null ? claim.phone : null, movingTo }),
    );
    // One transaction: if the database fails part-way, nothing of it stays.
    const bound = await store.bindCustomer(session.identity.id, claim);
    // Binding raises what the session may do: it gets a new id.
    await sessions.destroy(session.id);
    const id = await sessions.create(session.identity.id, session.returnTo);
    const next = nextStep({ ...session.identity, customer_id: bound.customer.id });
    return { body: { next, returnTo: session.returnTo }, session: { set: id } };
  }

  /** The password limits' keys for this attempt: the account, the IP and the WeChat identity. */
  const passwordKeys = (session: Session, account: string, ip: string) => ({
    account: `pw:a:${accountKey(account)}`,
    ip: `pw:i:${ip}`,
    identity: `pw:u:${session.identity.id}`,
  });

  async function lockedFor(keys: string[]): Promise<number> {
    const until = await Promise.all(keys.map((k) => kv.get<number>(`${k}:lock`)));
    return Math.max(0, ...until.map((u) => (u ?? 0) - deps.now()));
  }
  const locked = (ms: number) =>
    new AppError(429, 'ACCOUNT_LOCKED', undefined, { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });
  const lock = (key: string) => kv.set(`${key}:lock`, deps.now() + PASSWORD_LOCK_MS, PASSWORD_LOCK_MS);

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

    bind: (session: Session, phone: string, code: string) => counted('sms', () => bindBySms(session, phone, code)),
    bindPassword: (session: Session, account: string, password: string, ip: string) =>
      counted('password', () => bindByPassword(session, account, password, ip)),

    async unbind(session: Session): Promise<Outcome<null>> {
      if (session.identity.customer_id === null) throw new AppError(409, 'NOT_BOUND');
      await sessions.voidIdentities([session.identity.id]);
      await store.unbind(session.identity.id);
      return { body: null, session: 'drop' };
    },
  };

  async function counted<T>(method: BindMethod, bind: () => Promise<T>): Promise<T> {
    try {
      const done = await bind();
      metrics?.binding(method, 'bound');
      return done;
    } catch (err) {
      metrics?.binding(method, metrics.codeOf(err));
      throw err;
    }
  }

  async function bindBySms(session: Session, phone: string, code: string): Promise<Outcome<BindResult>> {
    allowed('sms');
    if (session.identity.customer_id !== null) throw alreadyBound();
    const proof = await smsCodes.verify({ phone, code, sessionKey: session.key });
    try {
      return await bindTo(session, await directory.forPhone(phone));
    } catch (err) {
      // The directory was down, refused the phone, or the database failed: the code stays good.
      await proof.restore();
      throw err;
    }
  }

  /**
   * 账号密码登录: the host system checks the account and password (never kept or logged here). Wrong
   * account and wrong password are one answer. Five failures lock the account, the IP and the WeChat
   * identity for 15 minutes; the account's tries are counted before the host is asked, so parallel
   * guesses cannot overrun the limit.
   */
  async function bindByPassword(
    session: Session,
    account: string,
    password: string,
    ip: string,
  ): Promise<Outcome<BindResult>> {
    allowed('password');
    if (session.identity.customer_id !== null) throw alreadyBound();
    const keys = passwordKeys(session, account, ip);
    const wait = await lockedFor(Object.values(keys));
    if (wait > 0) throw locked(wait);
    const tries = await kv.incr(`${keys.account}:n`, PASSWORD_LOCK_MS);
    if (tries > PASSWORD_FAILURES) {
      await lock(keys.account);
      throw locked(PASSWORD_LOCK_MS);
    }
    let claim;
    try {
      claim = await directory.forPassword(account, password);
    } catch (err) {
      // The host did not answer: this try was no guess.
      if (tries === 1) await kv.del(`${keys.account}:n`);
      throw err;
    }
    if (!claim) {
      if (tries >= PASSWORD_FAILURES) await lock(keys.account);
      for (const key of [keys.ip, keys.identity])
        if ((await kv.incr(`${key}:n`, PASSWORD_LOCK_MS)) >= PASSWORD_FAILURES) await lock(key);
      throw new AppError(401, 'CREDENTIALS_INVALID');
    }
    await kv.del(`${keys.account}:n`);
    return bindTo(session, claim);
  }
}

export type Account = ReturnType<typeof createAccount>;
