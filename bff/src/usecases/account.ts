import { maskPhone, type BindResult, type SessionInfo, type SmsSent } from '@wxauth/contract';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Profiles } from '../services/profiles.js';
import { nextStep, type Outcome, type Session, type Sessions } from '../services/sessions.js';
import type { SmsCodes } from '../services/smsCodes.js';
import type { Store } from '../store/store.js';

const alreadyBound = () => new AppError(409, 'ALREADY_BOUND');

/** The signed-in user's account: who they are, and binding a phone to it or dropping it. */
export function createAccount(deps: {
  store: Store;
  sessions: Sessions;
  smsCodes: SmsCodes;
  profiles: Profiles;
  metrics?: Metrics;
}) {
  const { store, sessions, smsCodes, profiles, metrics } = deps;

  return {
    async view({ identity }: Session): Promise<SessionInfo> {
      // A stale profile is fetched again in the background; this answer does not wait for WeChat.
      if (profiles.isStale(identity)) void profiles.refresh(identity);
      const customer = identity.customer_id === null ? undefined : await store.customerById(identity.customer_id);
      return {
        bound: customer !== undefined,
        unionid: identity.unionid !== null,
        user: {
          phone: customer ? maskPhone(customer.phone) : null,
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

    async bind(session: Session, phone: string, code: string): Promise<Outcome<BindResult>> {
      if (session.identity.customer_id !== null) throw alreadyBound();
      const proof = await smsCodes.verify({ phone, code, sessionKey: session.key });
      let bound;
      try {
        // Whoever held that phone before loses it (store.bindPhone): their sessions first.
        await sessions.voidIdentities(await store.boundIdentities({ phone, movingTo: session.identity }));
        // One transaction: if the database fails part-way, nothing of it stays, and the code is kept.
        bound = await store.bindPhone(session.identity.id, phone);
      } catch (err) {
        await proof.restore();
        throw err;
      }
      // Binding raises what the session may do: it gets a new id.
      await sessions.destroy(session.id);
      const id = await sessions.create(session.identity.id, session.returnTo);
      const next = nextStep({ ...session.identity, customer_id: bound.customer.id });
      return { body: { next, returnTo: session.returnTo }, session: { set: id } };
    },

    async unbind(session: Session): Promise<Outcome<null>> {
      if (session.identity.customer_id === null) throw new AppError(409, 'NOT_BOUND');
      await sessions.voidIdentities([session.identity.id]);
      await store.unbind(session.identity.id);
      return { body: null, session: 'drop' };
    },
  };
}

export type Account = ReturnType<typeof createAccount>;
