// wxauth as an OpenID Connect provider (panva's oidc-provider): the company's other apps sign in with it.
export { createOidcProvider, OIDC_PATH, INTERACTION_PATH, type OidcSettings } from './provider.js';
export { asPublic, mountOidc, oidcRoutes } from './routes.js';
export { httpLocalhostAllowed, readOidcSettings } from './settings.js';
export { hashClientSecret, readClientsFile, type ClientEntry } from './clients.js';
