// Sign in to your Node app with wxauth, with panva's openid-client 6 (docs/guide/oidc.md shows this file;
// a test runs it against the real BFF). Keep `keep` in your app's own session between the two steps.
import * as oidc from 'openid-client';

/** Once at start: wxauth's discovery document and your client. `options`: openid-client's request options. */
export function wxauthClient({ issuer, clientId, clientSecret, options }) {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, options);
}

/** GET /login: where to send the browser, and what to keep until it comes back. */
export async function startLogin(config, redirectUri, scope = 'openid phone profile') {
  const keep = { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state: keep.state,
    nonce: keep.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(keep.codeVerifier),
    code_challenge_method: 'S256',
  });
  return { url, keep };
}

/** GET /callback: the customer (`sub` is wxauth's customer id) with the claims the scopes asked for. */
export async function finishLogin(config, currentUrl, keep) {
  const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: keep.codeVerifier,
    expectedState: keep.state,
    expectedNonce: keep.nonce,
  });
  const user = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  return { user, tokens };
}
