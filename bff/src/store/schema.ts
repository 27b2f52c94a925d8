import type { Generated } from 'kysely';

/** Times are milliseconds since the epoch, so SQLite and MySQL store them alike. */
export interface CustomersTable {
  id: Generated<number>;
  phone: string;
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

export interface Database {
  customers: CustomersTable;
  wechat_identities: WechatIdentitiesTable;
}
