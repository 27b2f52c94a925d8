import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigError } from '../../platform/config.js';
import { readClientsFile } from './clients.js';
import type { OidcSettings } from './provider.js';

/** http redirect URIs on localhost are accepted in the demo and outside production (config.production). */
export function httpLocalhostAllowed(config: { production: boolean; demo: boolean }): boolean {
  return config.demo || !config.production;
}

/**
 * The provider's settings, from the configuration (platform/configSchema.ts, "OpenID Connect provider"):
 * - OIDC_CLIENTS_FILE: the clients (JSON, see clients.ts); unset, the provider is off.
 * - OIDC_COOKIE_KEYS: comma-separated keys (≥ 32 characters each) for its cookies, newest first;
 *   unset, one derived from SESSION_SECRET (rotating SESSION_SECRET then rotates it too).
 * The signing keys are JWT_KEYS_FILE's, so the provider needs it.
 */
export async function readOidcSettings(
  settings: { clientsFile: string | null; cookieKeys: string[] | null },
  deps: { sessionSecret: string; keys: JWK[] | null; demo: boolean; production: boolean },
): Promise<OidcSettings | null> {
  const file = settings.clientsFile;
  if (!file) return null;
  const problems: string[] = [];
  if (!deps.keys)
    problems.push("OIDC_CLIENTS_FILE: the provider signs with JWT_KEYS_FILE's keys; set JWT_KEYS_FILE too");
  const cookieKeys = settings.cookieKeys ?? [
    createHmac('sha256', deps.sessionSecret).update('wxauth oidc cookies').digest('base64url'),
  ];
  if (cookieKeys.some((k) => k.length < 32)) problems.push('OIDC_COOKIE_KEYS: every key needs at least 32 characters');
  const development = httpLocalhostAllowed(deps);
  // Every problem at once: the file's and the variables'.
  const clients = await readClientsFile(file, development).catch((err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return [];
  });
  if (problems.length) throw new ConfigError(problems);
  return { clients, keys: deps.keys!, cookieKeys };
}
