// The JS-SDK's wx.config signature.
export * from './jssdk.js';
export { jssdkRoutes } from './routes.js';
