// Runs before uni-app's router reads the address: main.ts imports it first.
export const AUTH_PAGE = '/pages/wxAuthPage/wxAuthPage';

// #ifdef H5
// A browser page only: a mini program has no address bar (its login is uni.login, in the wxAuthPage).
import { captureCallback } from '@wxauth/client';

// WeChat sends the user back to /auth?code=…&state=…#wechat_redirect. Its code and state leave the
// address now, and so does the fragment: the hash-mode router would open a page "wechat_redirect".
captureCallback();

// The BFF's redirect_uri is /auth, and it sends a browser to /auth?error=… or /open-in-wechat?returnTo=…
// (the Vue app's paths): in this app they are the wxAuthPage, with the same query.
if (/^\/(?:auth|open-in-wechat)\/?$/.test(location.pathname) && !location.hash) {
  history.replaceState(history.state, '', `/#${AUTH_PAGE}${location.search}`);
}
// #endif
