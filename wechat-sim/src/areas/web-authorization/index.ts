import type { Routes } from '../../route.js';
import { authorize, confirmConsent } from './authorize.js';
import { checkToken, exchangeCode, refreshAccessToken, userinfo } from './sns.js';

/** Official Account web authorization: the pages the user sees, then the sns API the site's server calls. */
export const webAuthorization: Routes = {
  'GET /connect/oauth2/authorize': authorize,
  'POST /connect/oauth2/authorize/confirm': confirmConsent,
  'GET /sns/oauth2/access_token': exchangeCode,
  'GET /sns/oauth2/refresh_token': refreshAccessToken,
  'GET /sns/userinfo': userinfo,
  'GET /sns/auth': checkToken,
};
