export { safeReturnTo } from './returnTo.js';
