// @wxauth/client: the BFF's one client, for the Vue app and for uni-app alike. No framework here.
export { authorizeUrl, inWechat, startAuthorization, type AuthorizeParams } from './authorize.js';
export { captureCallback, landingUrl, takeCallback, type Callback, type CaptureOptions } from './callback.js';
export { createClient, type ClientOptions, type WxauthClient } from './client.js';
export { ApiError, type ClientErrorCode } from './errors.js';
export {
  isIosWechat,
  JssdkError,
  JWEIXIN_URL,
  setShareCard,
  signatureUrl,
  wechatJssdk,
  type JssdkOptions,
  type ShareCard,
  type Wx,
} from './jssdk.js';
export { NOT_SHARED, shareLink, type ShareLinkOptions } from './shareLink.js';
export { fetchTransport, type FetchTransportOptions } from './fetch.js';
export type { Transport, TransportRequest, TransportResponse } from './transport.js';
export { uniTransport, type UniRequest, type UniRequestOptions, type UniTransportOptions } from './uni.js';
export type { ErrorCode, ErrorDetails, LoginResult, Meta, Scope, SessionInfo } from '@wxauth/contract';
// The words a front end shows for a failed call, owned with the codes: a uni-app page needs no copy of them.
export { ERROR_MESSAGES, FAILED_MESSAGE, NETWORK_MESSAGE, userMessage } from '@wxauth/contract';
