import { createHmac } from 'node:crypto';
import type { Kv } from '../../adapters/kv/types.js';
import { sortableTime, type Random } from '../../platform/random.js';
import type { Identity, Store } from '../../adapters/store/store.js';

declare module '../../platform/http/context.js' {
  interface AppState {
    /** The signed-in session, once a route's `cookies.require` has loaded it. */
    session?: Session;
  }
}

/** Who a bound session is, as the site's own services are told (forward-auth, identity tokens). */
export interface SignedIn {
  /** The customer id the world knows (the host's, with a webhook directory). */
  customerId: string;
  /** Null for a customer bound by account and password. */
  phone: string | null;
  appid: string;
  openid: string;
  unionid: string | null;
}

/**
 * How a session is held: a browser's HttpOnly cookie, or a mini program's bearer token. Each is accepted
 * only the way it was given: a bearer token put in a cookie, or a cookie's id sent as a bearer, is no session.
 */
export type SessionKind = 'cookie' | 'bearer';

/** A login funnel a session record names (SessionRecord.flow). */
export type SessionFlow = 'follow';

export interface SessionRecord {
  identityId: number;
  /** Absent: a cookie session (and every session kept from before bearer sessions). */
  kind?: 'bearer';
  createdAt: number;
  lastSeenAt: number;
  /** Where to go once bound. */
  returnTo: string;
  /**
   * The login funnel the session counts in, kept only where its appid and returnTo cannot tell (the
   * Official Account's follow login has the H5 site's appid): absent for every other login, so theirs
   * write nothing more.
   */
  flow?: SessionFlow;
  /**
   * Kept once a bound session was first checked: later checks need no database. Anything that voids
   * a binding marks the identity first (`voidIdentities`), and a mark newer than the session wins.
   */
  signedIn?: SignedIn;
}

export interface Session extends SessionRecord {
  /** The id the browser (or the mini program) holds (never stored as is). */
  id: string;
  kind?: 'bearer';
  /**
   * The key the server files it under, also used to bind SMS codes to it: the id's time (base 36) and
   * the HMAC of the id, or the HMAC alone for a session made before ids carried their time.
   */
  key: string;
  identity: Identity;
}

const TOUCH_EVERY_MS = 60_000;
/** The time at the head of a session id: 6 bytes (milliseconds until the year 10889), 8 base64url characters. */
const TIME_BYTES = 6;
const TIME_CHARS = 8;

/**
 * Session ids of 256 bits: 48 bits of the time they were made (no secret: it only files them in order),
 * then 208 random ones, far above OWASP's 64 bits of entropy and ASVS's 128 (7.2.3). Stored under
 * their HMAC (behind that time) so a dump of the store holds no usable id.
 * Idle timeout via the store's TTL, absolute timeout via createdAt, revocation via the identity's
 * revoked_at: unbinding or a host-system revoke voids every older session at once.
 */
export function createSessions(deps: {
  kv: Kv;
  store: Store;
  random: Random;
  now: () => number;
  secret: string;
  idleMs: number;
  absoluteMs: number;
}) {
  const { kv, store, now } = deps;
  const hmacOf = (id: string) => createHmac('sha256', deps.secret).update(id).digest('base64url');
  /**
   * Where a session is filed: the time in its id (base 36, fixed width), then the HMAC. Keys that grow
   * with time put each new session beside the last in the SQLite state's B-tree, where HMACs alone
   * scattered them, one page written to the WAL per session at every commit.
   */
  const keyOf = (id: string) =>
    `${sortableTime(Buffer.from(id.slice(0, TIME_CHARS), 'base64url').readUIntBE(0, TIME_BYTES))}.${hmacOf(id)}`;
  const kvKey = (key: string) => `sess:${key}`;
  /** A new id: 6 bytes of the time it was made, then 26 random bytes (208 bits); 43 characters, as before. */
  const newId = (t: number) => {
    const time = Buffer.alloc(TIME_BYTES);
    time.writeUIntBE(t, 0, TIME_BYTES);
    return time.toString('base64url') + deps.random.token(32 - TIME_BYTES);
  };

  /**
   * The record filed for an id, and its key: by time first; else where sessions made before ids carried
   * their time were filed, by the HMAC alone (such a session lives until its absolute timeout).
   */
  async function find(id: string): Promise<{ key: string; record: SessionRecord } | undefined> {
    for (const key of [keyOf(id), hmacOf(id)]) {
      const record = await kv.get<SessionRecord>(kvKey(key));
      if (record) return { key, record };
    }
    return undefined;
  }
  const voidKey = (identityId: number) => `voided:${identityId}`;
  /** When the identity last got a session: what support sees of it (sessions are filed by id alone). */
  const seenKey = (identityId: number) => `seen:${identityId}`;
  const validId = (id: string | undefined): id is string => id !== undefined && /^[A-Za-z0-9_-]{43}$/.test(id);

  /** Keeps the record alive (idle timeout), at most once a minute, never past its absolute end. */
  async function touch(key: string, record: SessionRecord, t: number): Promise<void> {
    if (t - record.lastSeenAt <= TOUCH_EVERY_MS) return;
    record.lastSeenAt = t;
    await kv.set(kvKey(key), record, Math.min(deps.idleMs, record.createdAt + deps.absoluteMs - t));
  }

  const kindOf = (record: SessionRecord): SessionKind => record.kind ?? 'cookie';

  async function load(id: string | undefined, kind: SessionKind = 'cookie'): Promise<Session | undefined> {
    if (!validId(id)) return undefined;
    const found = await find(id);
    if (!found || kindOf(found.record) !== kind) return undefined;
    const { key, record } = found;
    const t = now();
    const identity = await store.identityById(record.identityId);
    const revoked = !identity || (identity.revoked_at !== null && identity.revoked_at >= record.createdAt);
    if (revoked || t - record.createdAt > deps.absoluteMs) {
      await kv.del(kvKey(key));
      return undefined;
    }
    await touch(key, record, t);
    return { ...record, id, key, identity };
  }

  /**
   * A new session: its id at once, and its write under way. What the caller writes in the same turn
   * shares its commit (the SQLite store commits a turn's writes together): the login's outcome does.
   */
  function open(
    identityId: number,
    returnTo: string,
    kind: SessionKind = 'cookie',
    flow?: SessionFlow,
  ): { id: string; saved: Promise<void> } {
    const t = now();
    const id = newId(t);
    const record: SessionRecord = { identityId, createdAt: t, lastSeenAt: t, returnTo };
    if (kind === 'bearer') record.kind = 'bearer';
    if (flow) record.flow = flow;
    // The session and when its identity last had one (support's `customer show`), in the same turn: with
    // the SQLite state they share one commit.
    const saved = Promise.all([
      kv.set(kvKey(keyOf(id)), record, deps.idleMs),
      kv.set(seenKey(identityId), t, deps.absoluteMs),
    ]).then(() => undefined);
    return { id, saved };
  }

  return {
    async create(
      identityId: number,
      returnTo: string,
      kind: SessionKind = 'cookie',
      flow?: SessionFlow,
    ): Promise<string> {
      const { id, saved } = open(identityId, returnTo, kind, flow);
      await saved;
      return id;
    },

    open,

    /**
     * An identity's sessions as support sees them: when the last one was made, and until when one made
     * then may live (the absolute timeout; an idle one ends sooner); `aliveUntil` 0 when every session
     * since is void (an unbind, a revoke) or past its end. Null when none was made within the timeout.
     */
    async lastSession(
      identity: Pick<Identity, 'id' | 'revoked_at'>,
    ): Promise<{ createdAt: number; aliveUntil: number } | null> {
      const [createdAt, voidedAt] = await Promise.all([
        kv.get<number>(seenKey(identity.id)),
        kv.get<number>(voidKey(identity.id)),
      ]);
      if (createdAt === undefined) return null;
      const aliveUntil = createdAt + deps.absoluteMs;
      const ended = Math.max(voidedAt ?? -Infinity, identity.revoked_at ?? -Infinity);
      return ended >= createdAt || aliveUntil <= now() ? { createdAt, aliveUntil: 0 } : { createdAt, aliveUntil };
    },

    load,

    /**
     * Who holds this session, for the checks of the site's other services: a bound session's
     * who-is-who comes from the session itself once it was checked, so the database is asked once per
     * session, not once per request. Unbound: the identity, with no customer. Undefined: signed out.
     */
    async signedIn(
      id: string | undefined,
      kind: SessionKind = 'cookie',
    ): Promise<SignedIn | { bound: false; identity: Identity } | undefined> {
      if (!validId(id)) return undefined;
      const found = await find(id);
      if (!found || kindOf(found.record) !== kind) return undefined;
      const { key, record } = found;
      const t = now();
      if (record.signedIn && t - record.createdAt <= deps.absoluteMs) {
        const voidedAt = await kv.get<number>(voidKey(record.identityId));
        if (voidedAt === undefined || voidedAt < record.createdAt) {
          await touch(key, record, t);
          // Sessions kept from before customer ids were strings (Redis outlives a deploy) held a number.
          const { customerId } = record.signedIn;
          return typeof customerId === 'string'
            ? record.signedIn
            : { ...record.signedIn, customerId: String(customerId) };
        }
      }
      const session = await load(id, kind);
      if (!session) return undefined;
      const { identity } = session;
      const customer = identity.customer_id === null ? undefined : await store.customerById(identity.customer_id);
      if (!customer) return { bound: false, identity };
      const signedIn: SignedIn = {
        customerId: customer.ref,
        phone: customer.phone,
        appid: identity.appid,
        openid: identity.openid,
        unionid: identity.unionid,
      };
      const { id: _id, key: _key, identity: _identity, ...kept } = session;
      await kv.set(
        kvKey(key),
        { ...kept, signedIn } satisfies SessionRecord,
        Math.min(deps.idleMs, record.createdAt + deps.absoluteMs - t),
      );
      return signedIn;
    },

    /**
     * Marks identities whose bindings are about to end (unbind, revoke, a phone moved to another
     * WeChat): their sessions' kept who-is-who is void from now on. Called before the database
     * changes, so a failure between the two leaves sessions void rather than valid.
     */
    async voidIdentities(identityIds: number[]): Promise<void> {
      const t = now();
      await Promise.all(identityIds.map((identityId) => kv.set(voidKey(identityId), t, deps.absoluteMs)));
    },

    /** Ends a session, wherever it is filed (a delete that finds nothing writes nothing). */
    destroy: async (id: string) => {
      if (!validId(id)) return;
      await Promise.all([kv.del(kvKey(keyOf(id))), kv.del(kvKey(hmacOf(id)))]);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/** What to do to the browser's session cookie: hold a new id, or drop it. Nothing else changes it. */
export type SessionEffect = { set: string } | 'drop';

/** What a use-case answers: the body for the client, and what becomes of its session. */
export interface Outcome<T> {
  body: T;
  session?: SessionEffect;
}

/** Where a signed-in WeChat user goes next: the one place this is decided. */
export const nextStep = (identity: Identity): 'home' | 'bind' => (identity.customer_id === null ? 'bind' : 'home');
