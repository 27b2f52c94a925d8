import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createMemoryKv } from '../../adapters/kv/memory.js';
import { openSqliteKv } from '../../adapters/kv/sqlite.js';
import type { Kv } from '../../adapters/kv/types.js';
import { migrate, openDatabase, sqliteFile } from '../../adapters/store/db.js';
import type { Database } from '../../adapters/store/schema.js';
import { createStore, type Store } from '../../adapters/store/store.js';
import type { Config } from '../../platform/config.js';
import { cryptoRandom } from '../../platform/random.js';
import { createRevocation, type Revocation } from '../accounts/index.js';
import { loadOidcRuntime, readOidcSettings } from '../oidc/index.js';
import { createSessions, type Sessions } from '../session/index.js';
import { readKeySet } from '../site/index.js';

/** What the admin command works on: the deployment's database and state store, and the rooms' use-cases on them. */
export interface Deployment {
  config: Config;
  db: Kysely<Database>;
  kv: Kv;
  store: Store;
  sessions: Sessions;
  revocation: Revocation;
  /** Where the state store is: `in-process` means the BFF's own memory, out of this command's reach. */
  state: 'redis' | 'sqlite' | 'in-process';
  close(): Promise<void>;
}

/**
 * Opens the database and the state store the BFF of this environment uses (compose.ts's choices: Redis
 * when REDIS_URL is set, else the state table in the SQLite file), and builds the sessions and the
 * revocation use-cases as the BFF does, so an admin's unbind has the BFF's effects: the same events,
 * sessions voided, the OpenID Connect provider's sessions ended (back-channel logout) when it is on.
 */
export async function openDeployment(config: Config): Promise<Deployment> {
  const log = pino({ level: 'silent' });
  await using opened = new AsyncDisposableStack();
  const db = openDatabase(config.databaseUrl, 2);
  const store = createStore(db, Date.now, { events: config.accounts.eventsUrl !== null });
  opened.defer(() => store.close());
  // A database the BFF has not migrated yet is brought to this build's schema, as the BFF would at start.
  await migrate(db);

  const file = sqliteFile(config.databaseUrl);
  const { redisUrl } = config;
  const kv: Kv = redisUrl
    ? await import('../../adapters/kv/redis.js').then(async (r) =>
        r.createRedisKv(await r.connectRedis(redisUrl, log), config.redisKeyPrefix),
      )
    : file
      ? openSqliteKv(file, { store: db })
      : createMemoryKv();
  opened.defer(() => kv.close());

  const sessions = createSessions({
    kv,
    store,
    random: cryptoRandom,
    now: Date.now,
    secret: config.sessionSecret,
    idleMs: config.session.idleMs,
    absoluteMs: config.session.absoluteMs,
  });
  const keys = config.jwt.keysFile ? await readKeySet(config.jwt.keysFile, config.demo) : null;
  const oidcSettings = await readOidcSettings(config.oidc, {
    sessionSecret: config.sessionSecret,
    keys: keys?.keys ?? null,
    demo: config.demo,
    production: config.production,
  });
  const oidc = oidcSettings
    ? (await loadOidcRuntime()).createOidcProvider({
        publicUrl: config.publicUrl,
        settings: oidcSettings,
        kv,
        store,
        now: Date.now,
        log,
      })
    : null;
  const revocation = createRevocation({ store, kv, sessions, onRevoked: oidc?.logoutAccount });

  const closing = opened.move();
  return {
    config,
    db,
    kv,
    store,
    sessions,
    revocation,
    state: redisUrl ? 'redis' : file ? 'sqlite' : 'in-process',
    close: () => closing.disposeAsync(),
  };
}
