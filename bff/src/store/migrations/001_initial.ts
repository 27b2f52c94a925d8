import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('phone', 'varchar(20)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('wechat_identities')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('appid', 'varchar(32)', (c) => c.notNull())
    .addColumn('openid', 'varchar(64)', (c) => c.notNull())
    .addColumn('unionid', 'varchar(64)')
    .addColumn('customer_id', 'integer', (c) => c.references('customers.id'))
    .addColumn('nickname', 'varchar(128)')
    .addColumn('avatar_url', 'varchar(512)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('bound_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addUniqueConstraint('wechat_identities_appid_openid', ['appid', 'openid'])
    .execute();
  await db.schema.createIndex('wechat_identities_unionid').on('wechat_identities').column('unionid').execute();
  await db.schema.createIndex('wechat_identities_customer').on('wechat_identities').column('customer_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('wechat_identities').execute();
  await db.schema.dropTable('customers').execute();
}
