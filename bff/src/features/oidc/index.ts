// wxauth as an OpenID Connect provider (panva's oidc-provider): the company's other apps sign in with it.
export { asPublic, INTERACTION_PATH, OIDC_PATH } from './paths.js';
export type { OidcSettings } from './provider.js';
export { httpLocalhostAllowed, readOidcSettings } from './settings.js';
export { hashClientSecret, readClientsFile, type ClientEntry } from './clients.js';

/**
 * The provider and its routes. oidc-provider is the BFF's heaviest module (12–14 MB of RSS at idle): it is
 * loaded only when OIDC_CLIENTS_FILE is set, as ioredis is only with REDIS_URL.
 */
export const loadOidcRuntime = () => import('./runtime.js');
export type OidcRuntime = Awaited<ReturnType<typeof loadOidcRuntime>>;
