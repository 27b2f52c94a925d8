// The php_weixin_proxy-compatible authorization proxy: many subdomains, one callback domain.
export * from './proxy.js';
export { proxyRoutes } from './routes.js';
