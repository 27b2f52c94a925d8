// Binding a WeChat user to a customer: by SMS code or by the host's account and password.
export * from './account.js';
export { bindingRoutes } from './routes.js';
export * from './smsCodes.js';
