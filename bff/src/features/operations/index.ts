// What operators and the host ask of the BFF itself: meta, health, readiness, metrics, revocation, host events.
export * from './operations.js';
export { operationsRoutes } from './routes.js';
