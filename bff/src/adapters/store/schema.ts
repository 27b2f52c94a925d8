import type { Generated } from 'kysely';

/** Times are milliseconds since the epoch, so SQLite and MySQL store them alike. */
export interface CustomersTable {
  id: Generated<number>;
  /** The customer id the world knows: the host's (webhook directory), or this row's number as text. */
  ref: string;
  /** The phone last proven by SMS; null for a customer bound by account and password. */
  phone: string | null;
  /** The host directory's name for the customer. */
  display_name: string | null;
  /** `local`: made here (the built-in directory, or an unknown phone with create); `host`: the directory named it. */
  origin: Generated<'local' | 'host'>;
  created_at: number;
  updated_at: number;
}

export interface WechatIdentitiesTable {
  id: Generated<number>;
  appid: string;
  openid: string;
  unionid: string | null;
  customer_id: number | null;
  nickname: string | null;
  avatar_url: string | null;
  created_at: number;
  updated_at: number;
  bound_at: number | null;
  /** Sessions of this identity created at or before this time are void. */
  revoked_at: number | null;
  /** WeChat's user tokens, sealed with PROFILE_TOKEN_KEY; null when not kept. */
  tokens_sealed: string | null;
  profile_refreshed_at: number | null;
}

/** Events for the host system, written with the change they tell of; pending while next_attempt_at is set. */
export interface EventsOutboxTable {
  /** Written order (also within one transaction): delivery follows it. */
  seq: Generated<number>;
  /** The event's id, unique: what a receiver dedupes by. */
  id: string;
  type: string;
  /** The JSON body delivered, exactly: {id, type, createdAt, data}. */
  payload: string;
  created_at: number;
  attempts: Generated<number>;
  next_attempt_at: number | null;
  delivered_at: number | null;
  /** Given up on (24 hours of failures): kept for the operator, counted in /metrics. */
  failed_at: number | null;
  last_error: string | null;
}

/** The OpenID Connect provider's grants and refresh tokens (features/oidc's adapter). */
export interface OidcArtifactsTable {
  model: string;
  id: string;
  grant_id: string | null;
  /** The artifact as oidc-provider gave it, JSON. */
  payload: string;
  expires_at: number;
}

/** The audit trail (adapters/store/audit.ts): one row per binding change, admin action or lockout. */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  action: string;
  /** The customer it is about, by the id the world knows; null when none (a lockout, a redelivery). */
  customer_ref: string | null;
  actor_kind: string;
  /** The admin's name (`--as`, or the OS user), or the host; null for a user or the system. */
  actor: string | null;
  ip: string | null;
  request_id: string | null;
  /** JSON: no secret, code, token or full phone number. */
  details: string;
}

export interface Database {
  customers: CustomersTable;
  wechat_identities: WechatIdentitiesTable;
  events_outbox: EventsOutboxTable;
  oidc_artifacts: OidcArtifactsTable;
  audit_log: AuditLogTable;
}
