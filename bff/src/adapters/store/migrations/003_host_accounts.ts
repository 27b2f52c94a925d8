import { MysqlAdapter, sql, type Kysely } from 'kysely';

/**
 * The host system's accounts. A customer is known to the world by `ref`, a string: the host's own id
 * (CUSTOMER_DIRECTORY=webhook), or for the built-in table its number as before ("17" stays "17", so ids
 * the host already stored keep working). `phone` may be null: a customer bound by account and password
 * proved no phone here. And the outbox: events written in the same transaction as the change they tell
 * of, delivered later (a row is pending while `next_attempt_at` is set).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  if (mysql) {
    await sql`alter table customers add column ref varchar(64) null after id`.execute(db);
    await sql`alter table customers add column display_name varchar(100) null after phone`.execute(db);
    await sql`update customers set ref = cast(id as char)`.execute(db);
    await sql`alter table customers modify ref varchar(64) not null, modify phone varchar(20) null`.execute(db);
    await sql`create unique index customers_ref on customers (ref)`.execute(db);
  } else {
    // SQLite cannot make a column nullable in place: the table is rebuilt, in one transaction, with its
    // ids kept, so the identities' references stay as they are.
    await sql`pragma foreign_keys = off`.execute(db);
    try {
      await sql`begin immediate`.execute(db);
      try {
        await sql`create table customers_next (
          id integer primary key autoincrement,
          ref varchar(64) not null unique,
          phone varchar(20) unique,
          display_name varchar(100),
          created_at bigint not null,
          updated_at bigint not null
        )`.execute(db);
        await sql`insert into customers_next (id, ref, phone, display_name, created_at, updated_at)
          select id, cast(id as text), phone, null, created_at, updated_at from customers`.execute(db);
        await sql`drop table customers`.execute(db);
        await sql`alter table customers_next rename to customers`.execute(db);
        const broken = await sql`pragma foreign_key_check`.execute(db);
        if (broken.rows.length) throw new Error('foreign keys broken by the customers rebuild');
        await sql`commit`.execute(db);
      } catch (err) {
        await sql`rollback`.execute(db);
        throw err;
      }
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
  }

  await db.schema
    .createTable('events_outbox')
    .$call((t) => (mysql ? t.modifyEnd(sql`engine = InnoDB default character set utf8mb4 collate utf8mb4_bin`) : t))
    // The order events were written in, within one transaction too: delivery follows it.
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'varchar(40)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('last_error', 'varchar(200)')
    .execute();
  await db.schema.createIndex('events_outbox_due').on('events_outbox').column('next_attempt_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('events_outbox').execute();
  // The customers' new columns stay: dropping them would lose the host's ids.
}
