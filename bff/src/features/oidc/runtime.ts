// The provider itself, on panva's oidc-provider: loaded by index.ts's loadOidcRuntime only when the BFF is an
// OpenID Connect provider (OIDC_CLIENTS_FILE), since the module costs 12–14 MB of memory at idle.
export { createOidcProvider } from './provider.js';
export { mountOidc, oidcRoutes } from './routes.js';
