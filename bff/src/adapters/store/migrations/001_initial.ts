import { MysqlAdapter, sql, type CreateTableBuilder, type Kysely } from 'kysely';

/**
 * On MySQL and MariaDB: InnoDB, utf8mb4 (nicknames carry emoji), and a binary collation, because
 * openids and unionids are case-sensitive: under the usual _ci collation two openids that differ only
 * in case would collide on the unique key. SQLite compares text as bytes already.
 */
function tableOptions(db: Kysely<unknown>) {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  return <T extends string, C extends string>(t: CreateTableBuilder<T, C>) =>
    mysql ? t.modifyEnd(sql`engine = InnoDB default character set utf8mb4 collate utf8mb4_bin`) : t;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const options = tableOptions(db);
  await db.schema
    .createTable('customers')
    .$call(options)
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('phone', 'varchar(20)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('wechat_identities')
    .$call(options)
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
