import type { IdentityToken } from '@wxauth/contract';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Random } from '../../platform/random.js';
import type { SignedIn } from '../session/index.js';

const ALG = 'ES256';

/** A JWK Set of private P-256 keys: the first signs, every one is published to verify (rotation). */
export interface PrivateKeySet {
  keys: JWK[];
}

/** A new signing key, as a private JWK with its kid (`pnpm keygen:jwt`, and the demo's first start). */
export async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
}

/** Why a key set cannot be used, or null. Checked at start, so a bad file stops the BFF by name. */
export function keySetProblem(set: unknown): string | null {
  const keys = (set as PrivateKeySet | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'expected a JWK Set: {"keys": [ … ]} with at least one key';
  const kids = new Set<string>();
  for (const k of keys) {
    if (k?.kty !== 'EC' || k.crv !== 'P-256' || typeof k.d !== 'string')
      return 'every key must be a private EC P-256 key';
    if (typeof k.kid !== 'string' || !k.kid) return 'every key needs a kid';
    if (kids.has(k.kid)) return `kid ${k.kid} is used twice`;
    kids.add(k.kid);
  }
  return null;
}

/**
 * Short-lived identity tokens for the site's services on other hosts (ES256): `iss` is PUBLIC_URL,
 * `aud` the configured audience, `sub` the customer id. The JWKS lists the public half of every
 * configured key, so a key can be added, then made first, then removed, with no token failing.
 */
export async function createTokens(deps: {
  keys: PrivateKeySet;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now: () => number;
  random: Random;
}) {
  const [first] = deps.keys.keys;
  const signingKey = await importJWK(first!, ALG);
  const jwks = {
    keys: deps.keys.keys.map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, alg: ALG, use: 'sig' })),
  };
  return {
    jwks,
    async issue(who: SignedIn): Promise<IdentityToken> {
      const iat = Math.floor(deps.now() / 1000);
      const token = await new SignJWT({
        appid: who.appid,
        openid: who.openid,
        ...(who.unionid && { unionid: who.unionid }),
      })
        .setProtectedHeader({ alg: ALG, kid: first!.kid!, typ: 'JWT' })
        .setIssuer(deps.issuer)
        .setAudience(deps.audience)
        .setSubject(who.customerId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + deps.ttlSeconds)
        .setJti(deps.random.alnum(22))
        .sign(signingKey);
      return { token, tokenType: 'Bearer', expiresIn: deps.ttlSeconds };
    },
  };
}

export type Tokens = Awaited<ReturnType<typeof createTokens>>;
