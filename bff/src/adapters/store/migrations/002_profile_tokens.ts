import type { Kysely } from 'kysely';

/** WeChat user tokens, sealed (AES-256-GCM), for keeping profiles fresh; and when that last happened. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('wechat_identities').addColumn('tokens_sealed', 'text').execute();
  await db.schema.alterTable('wechat_identities').addColumn('profile_refreshed_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('wechat_identities').dropColumn('profile_refreshed_at').execute();
  await db.schema.alterTable('wechat_identities').dropColumn('tokens_sealed').execute();
}
