// The host's accounts: its customer directory, the signed events we deliver to it (the outbox), and
// its calls to us (revocation by its operators, signed events).
export * from './directory.js';
export * from './outbox.js';
export * from './hostSignature.js';
export * from './revocation.js';
export { accountsRoutes } from './routes.js';
