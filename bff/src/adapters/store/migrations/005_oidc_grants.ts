import type { Kysely } from 'kysely';

/**
 * The OpenID Connect provider's long-lived artifacts (grants and refresh tokens): in the database,
 * which outlives the state store, rather than in Redis. One row per artifact, its payload as JSON;
 * `grant_id` revokes every artifact of a grant at once, `expires_at` lets expired rows go.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_artifacts')
    .addColumn('model', 'varchar(32)', (c) => c.notNull())
    .addColumn('id', 'varchar(128)', (c) => c.notNull())
    .addColumn('grant_id', 'varchar(128)')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oidc_artifacts_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_artifacts_grant').on('oidc_artifacts').column('grant_id').execute();
  await db.schema.createIndex('oidc_artifacts_expires').on('oidc_artifacts').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_artifacts').execute();
}
