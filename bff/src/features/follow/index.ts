// Login on a desktop through the Official Account: scan its QR code, confirm in WeChat, signed in.
export { createFollowLogin, CONFIRM_MS, type FollowLogin } from './follow.js';
export { desktopOf } from './desktop.js';
export { followRoutes } from './routes.js';
