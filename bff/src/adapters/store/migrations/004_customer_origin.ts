import type { Kysely } from 'kysely';

/**
 * Where a customer was made: `local` (wxauth's own table, its ref its number or `wxauth-<n>`) or `host`
 * (the host's directory named it). A host's id is never matched to a customer made here: after a
 * switch from the built-in table to a directory, customer "1" of each would otherwise become one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('customers')
    .addColumn('origin', 'varchar(8)', (c) => c.notNull().defaultTo('local'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('customers').dropColumn('origin').execute();
}
