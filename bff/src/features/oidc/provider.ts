import type { JWK } from 'jose';
import Provider, {
  type Account,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Logger } from 'pino';
import type { Kv } from '../../adapters/kv/types.js';
import type { Store } from '../../adapters/store/store.js';
import { kvAdapter, LONGEST_TTL_S } from './adapter.js';
import { INTERACTION_PATH, OIDC_PATH } from './paths.js';
import { providerMetadata, secretMatches, type ClientEntry } from './clients.js';

export interface OidcSettings {
  clients: ClientEntry[];
  /** The identity tokens' private keys (JWT_KEYS_FILE): one JWKS for both. */
  keys: JWK[];
  /** Signing keys of the provider's cookies, newest first (rotation: add one in front). */
  cookieKeys: string[];
}

/** E.164 for a mainland mobile as the store keeps it (11 digits); anything else as it is. */
const e164 = (phone: string) => (/^1\d{10}$/.test(phone) ? `+86${phone}` : phone);

export const SCOPE_CLAIMS = {
  openid: ['sub'],
  phone: ['phone_number', 'phone_number_verified'],
  profile: ['name', 'picture'],
  wechat: ['appid', 'openid', 'unionid'],
};

const page = (title: string, body: string) =>
  `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">${body}</body></html>`;
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * panva's oidc-provider, configured: code flow with PKCE only, refresh tokens rotated, clients from the
 * file, ES256 keys from JWT_KEYS_FILE, storage in the state store, accounts from the customer table.
 */
export function createOidcProvider(deps: {
  publicUrl: string;
  settings: OidcSettings;
  kv: Kv;
  store: Store;
  now: () => number;
  log: Logger;
}) {
  const { settings, store, log } = deps;
  const firstParty = new Set(settings.clients.filter((c) => c.first_party).map((c) => c.client_id));
  const storage = kvAdapter(deps.kv, deps.now, store.oidcArtifacts);
  // oidc-provider refuses private addresses for its outgoing calls; these exact ones were allowed per client.
  const privateTargets = new Set(
    settings.clients.filter((c) => c.backchannel_logout_private_network).map((c) => c.backchannel_logout_uri!),
  );

  async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    // Unbound or revoked since: no more claims, and no token is honoured for them.
    const found = await store.boundCustomer(sub);
    if (!found) return undefined;
    const { customer, identities } = found;
    const identity = identities[0]!;
    return {
      accountId: sub,
      claims: () => ({
        sub,
        ...(customer.phone && { phone_number: e164(customer.phone), phone_number_verified: true }),
        ...((customer.display_name ?? identity.nickname) && { name: customer.display_name ?? identity.nickname }),
        ...(identity.avatar_url && { picture: identity.avatar_url }),
        appid: identity.appid,
        openid: identity.openid,
        ...(identity.unionid && { unionid: identity.unionid }),
      }),
    };
  }

  const configuration: Configuration = {
    adapter: storage.Adapter,
    fetch: (url, options) => {
      const href = url instanceof URL ? url.href : String(url);
      if (!privateTargets.has(href)) return fetch(url, options);
      const { dispatcher: _ssrfGuard, ...direct } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, direct);
    },
    clients: settings.clients.map(providerMetadata) as ClientMetadata[],
    jwks: { keys: settings.keys as never },
    findAccount,
    claims: SCOPE_CLAIMS,
    scopes: ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')],
    responseTypes: ['code'],
    // PKCE is S256 only in oidc-provider 9; required for public clients, and a confidential client
    // that sent a challenge must send its verifier (no downgrade).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    cookies: {
      keys: settings.cookieKeys,
      names: { session: 'wxauth_oidc', interaction: 'wxauth_oidc_i', resume: 'wxauth_oidc_r' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            '退出登录',
            `<p>要退出登录吗？</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">退出</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('已退出', '<p>已退出登录</p>');
        },
      },
      backchannelLogout: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    // Every token endpoint use of a refresh token spends it; reusing a spent one revokes the grant.
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: LONGEST_TTL_S,
      Grant: LONGEST_TTL_S,
      RefreshToken: LONGEST_TTL_S,
    },
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        '登录出错',
        `<p>登录出错，请回到原来的应用重试</p><p><code>${escape(String(out.error))}</code> ${escape(String(out.error_description ?? ''))}</p>`,
      );
    },
  };

  const provider = new Provider(`${deps.publicUrl}${OIDC_PATH}`, configuration);
  // Its X-Forwarded-Host and -Proto are written from PUBLIC_URL by the mount (routes.ts, asPublic).
  provider.proxy = true;
  // Client secrets are kept hashed: compare the hash of what the client sent.
  provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && secretMatches(actual, this.clientSecret);
  };
  // Errors are logged by name and message only: parameters may hold codes and tokens.
  provider.on('server_error', (_ctx, err: Error) =>
    log.error({ err: { name: err.name, message: err.message } }, 'oidc server error'),
  );

  /** One provider session ends: each client with a back-channel address is told, its grants revoked. */
  async function endSession(sub: string, authorizations: unknown): Promise<void> {
    for (const [clientId, { sid, grantId }] of Object.entries(
      (authorizations ?? {}) as Record<string, { sid?: string; grantId?: string }>,
    )) {
      if (grantId) await new storage.Adapter('Grant').revokeByGrantId(grantId);
      const client = (await provider.Client.find(clientId)) as
        { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> } | undefined;
      if (!client?.backchannelLogoutUri || !sid) continue;
      try {
        await client.backchannelLogout(sub, sid);
      } catch (err) {
        log.warn({ clientId, err: { message: (err as Error).message } }, 'oidc back-channel logout failed');
      }
    }
  }

  /**
   * wxauth ended the customer's sessions (a host revoke, an unbind): their provider sessions end too,
   * every client that registered a back-channel address is told (a signed logout token), and what
   * those logins granted is revoked.
   */
  async function logoutAccount(sub: string): Promise<void> {
    for (const session of await storage.takeSessions(sub)) await endSession(sub, session.authorizations);
  }

  /** This browser signed out of wxauth: its provider session (the cookie it holds) ends as well. */
  async function logoutBrowser(ctx: Parameters<typeof provider.Session.get>[0]): Promise<void> {
    const session = await provider.Session.get(ctx);
    if (!session.accountId) return;
    await endSession(session.accountId, session.authorizations);
    await session.destroy();
  }

  return { provider, firstParty, logoutAccount, logoutBrowser };
}
