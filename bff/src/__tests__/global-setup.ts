import type { TestProject } from 'vitest/node';
import { startMariadb, startRedis } from '../../../scripts/servers.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A real MariaDB server: `mysql://wxauth:wxauth@127.0.0.1:<port>`, no database. */
    mariadbUrl: string;
    /** A real redis-server: `redis://127.0.0.1:<port>`. */
    redisUrl: string;
  }
}

/** Real MariaDB and Redis for the whole BFF test run, from Debian's packages, on loopback. */
export default async function setup(project: TestProject) {
  const [mariadb, redis] = await Promise.all([startMariadb(), startRedis()]);
  project.provide('mariadbUrl', mariadb.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all([mariadb.close(), redis.close()]);
  };
}
