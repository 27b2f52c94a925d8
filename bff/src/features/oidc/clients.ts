import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { ConfigError } from '../../platform/config.js';

/** A client secret as the file keeps it: SHA-256, base64url. Secrets are random (≥ 32 characters), so a plain hash is enough. */
export const hashClientSecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashClientSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An address a browser (or our back-channel) is sent to: absolute, no fragment, no wildcard, no user
 * info; https, or http on localhost only where `allowHttpLocalhost` (the demo and development).
 */
const exactUrl = (allowHttpLocalhost: boolean) =>
  v.pipe(
    v.string(),
    v.check(
      (raw) => {
        const url = URL.parse(raw);
        if (!url || url.hash || raw.includes('#') || raw.includes('*') || url.username || url.password) return false;
        if (url.protocol === 'https:') return true;
        return allowHttpLocalhost && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
      },
      `expected an https URL${allowHttpLocalhost ? ' (or http on localhost)' : ''}, exact, with no #fragment or *`,
    ),
  );

const clientFields = (allowHttpLocalhost: boolean) =>
  v.strictObject({
    client_id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1 to 64 of A-Z a-z 0-9 . _ -')),
    /** Absent: a public client (a SPA, a mobile app), which must use PKCE. */
    client_secret_sha256: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'expected SHA-256 of the secret, base64url (43 characters)')),
    ),
    /** How a confidential client sends its secret to the token endpoint (openid-client's default is post). */
    token_endpoint_auth_method: v.optional(
      v.picklist(['client_secret_basic', 'client_secret_post']),
      'client_secret_basic',
    ),
    client_name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
    redirect_uris: v.pipe(v.array(exactUrl(allowHttpLocalhost)), v.minLength(1, 'expected at least one')),
    post_logout_redirect_uris: v.optional(v.array(exactUrl(allowHttpLocalhost))),
    backchannel_logout_uri: v.optional(exactUrl(allowHttpLocalhost)),
    /**
     * The back-channel address is on a private network (the company's own app, say): oidc-provider
     * refuses private addresses by default; this opens that one exact address, for this client only.
     */
    backchannel_logout_private_network: v.optional(v.boolean(), false),
    /** The company's own app: no consent page. */
    first_party: v.optional(v.boolean(), false),
  });

const clientSchema = (allowHttpLocalhost: boolean) =>
  v.pipe(
    clientFields(allowHttpLocalhost),
    v.check(
      (entry) => !entry.backchannel_logout_private_network || entry.backchannel_logout_uri !== undefined,
      'backchannel_logout_private_network needs backchannel_logout_uri',
    ),
  );

export type ClientEntry = v.InferOutput<ReturnType<typeof clientSchema>>;

const fileSchema = (allowHttpLocalhost: boolean) =>
  v.pipe(
    v.strictObject({
      clients: v.pipe(v.array(clientSchema(allowHttpLocalhost)), v.minLength(1, 'expected at least one client')),
    }),
    v.check(
      (file) => new Set(file.clients.map((c) => c.client_id)).size === file.clients.length,
      'a client_id is used twice',
    ),
  );

/** Every problem with the file, each named by where it is (`clients[1].redirect_uris[0]: …`). */
export function parseClients(input: unknown, allowHttpLocalhost: boolean): ClientEntry[] | string[] {
  const result = v.safeParse(fileSchema(allowHttpLocalhost), input);
  if (result.success) return result.output.clients;
  return result.issues.map((issue) => {
    const path = v.getDotPath(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** OIDC_CLIENTS_FILE, read and checked at start: a bad file stops the BFF, naming each problem. */
export async function readClientsFile(file: string, allowHttpLocalhost: boolean): Promise<ClientEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`OIDC_CLIENTS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError([`OIDC_CLIENTS_FILE: ${file} is not JSON`]);
  }
  const parsed = parseClients(json, allowHttpLocalhost);
  if (typeof parsed[0] === 'string') throw new ConfigError((parsed as string[]).map((p) => `OIDC_CLIENTS_FILE: ${p}`));
  return parsed as ClientEntry[];
}

/** The client's metadata as oidc-provider takes it: code flow only; the secret stays a hash. */
export function providerMetadata(entry: ClientEntry) {
  return {
    client_id: entry.client_id,
    ...(entry.client_name && { client_name: entry.client_name }),
    ...(entry.client_secret_sha256
      ? { client_secret: entry.client_secret_sha256, token_endpoint_auth_method: entry.token_endpoint_auth_method }
      : { token_endpoint_auth_method: 'none' }),
    redirect_uris: entry.redirect_uris,
    post_logout_redirect_uris: entry.post_logout_redirect_uris ?? [],
    ...(entry.backchannel_logout_uri && {
      backchannel_logout_uri: entry.backchannel_logout_uri,
      backchannel_logout_session_required: true,
    }),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  };
}
