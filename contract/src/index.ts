export * from './api.js';
export * from './errors.js';
export * from './messages.js';
export * from './phone.js';
export * from './pages.js';
export { safeReturnTo } from './returnTo.js';
export { chinaTime } from './time.js';
