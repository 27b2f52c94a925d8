// The site's other services: forward-auth for nginx, and ES256 identity tokens.
export * from './siteIdentity.js';
export * from './tokens.js';
export * from './tokenKeys.js';
export { siteRoutes } from './routes.js';
