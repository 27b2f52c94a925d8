import { MysqlAdapter, sql, type Kysely } from 'kysely';

/**
 * The audit trail: every binding change and every admin action, with who or what caused it, when and
 * from where, written in the same transaction as the change. `details` is JSON without a secret, code,
 * token or full phone number. Rows older than AUDIT_RETENTION_DAYS are deleted (features/admin).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  await db.schema
    .createTable('audit_log')
    .$call((t) => (mysql ? t.modifyEnd(sql`engine = InnoDB default character set utf8mb4 collate utf8mb4_bin`) : t))
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('action', 'varchar(40)', (c) => c.notNull())
    .addColumn('customer_ref', 'varchar(64)')
    .addColumn('actor_kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('actor', 'varchar(100)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('request_id', 'varchar(64)')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_customer').on('audit_log').columns(['customer_ref', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
}
