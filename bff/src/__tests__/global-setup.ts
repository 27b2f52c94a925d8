import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/**
 * Real MariaDB and Redis for the whole BFF test run, from Debian's packages, on loopback; and the
 * built BFF (`bff/dist`), built once here for the tests that run it as deployed: built by each of
 * them at once, one could start a file another was writing.
 */
export default async function setup(project: TestProject) {
  try {
    execFileSync('pnpm', ['--filter', '@wxauth/bff', 'build'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`the BFF does not build (pnpm --filter @wxauth/bff build):\n${stdout ?? ''}${stderr ?? ''}`);
  }
  const [mariadb, redis] = await Promise.all([startMariadb(), startRedis()]);
  project.provide('mariadbUrl', mariadb.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all([mariadb.close(), redis.close()]);
  };
}
