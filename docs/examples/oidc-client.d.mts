import type * as oidc from 'openid-client';

export interface Keep {
  codeVerifier: string;
  state: string;
  nonce: string;
}
export function wxauthClient(input: {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  options?: oidc.DiscoveryRequestOptions;
}): Promise<oidc.Configuration>;
export function startLogin(
  config: oidc.Configuration,
  redirectUri: string,
  scope?: string,
): Promise<{ url: URL; keep: Keep }>;
export function finishLogin(
  config: oidc.Configuration,
  currentUrl: URL,
  keep: Keep,
): Promise<{ user: oidc.UserInfoResponse; tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers }>;
