// WeChat login: the H5 app's silent authorization, PC QR login, and the WeChat profile.
export * from './login.js';
export * from './profiles.js';
export { loginRoutes } from './routes.js';
