import { readBody } from '../../http.js';
import type { Call, Handler, Routes } from '../../route.js';
import { authorize, confirmConsent } from './authorize.js';
import { checkToken, exchangeCode, refreshAccessToken, userinfo } from './sns.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * The sns API answers GET and POST alike (clients POST query or form parameters); a POSTed form's fields
 * count as well, after the query's. Other methods are not routed, so they answer as an unknown path.
 */
function getOrPost(path: string, handler: Handler): Routes {
  const posted = async (call: Call): Promise<void> => {
    const type = call.req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
    const url = new URL(call.url);
    if (type === FORM)
      for (const [k, v] of new URLSearchParams(await readBody(call.req))) url.searchParams.append(k, v);
    return handler({ ...call, url });
  };
  return { [`GET ${path}`]: handler, [`POST ${path}`]: posted };
}

/** Official Account web authorization: the pages the user sees, then the sns API the site's server calls. */
export const webAuthorization: Routes = {
  'GET /connect/oauth2/authorize': authorize,
  'POST /connect/oauth2/authorize/confirm': confirmConsent,
  ...getOrPost('/sns/oauth2/access_token', exchangeCode),
  ...getOrPost('/sns/oauth2/refresh_token', refreshAccessToken),
  ...getOrPost('/sns/userinfo', userinfo),
  ...getOrPost('/sns/auth', checkToken),
};
