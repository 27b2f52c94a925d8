// Mini programs: wx.login → jscode2session, the phone number by WeChat, on bearer sessions.
export * from './miniProgram.js';
export { miniProgramRoutes } from './routes.js';
