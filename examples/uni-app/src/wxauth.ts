import {
  ApiError,
  createClient,
  landingUrl,
  NETWORK_MESSAGE,
  uniTransport,
  userMessage,
  type SessionInfo,
} from '@wxauth/client';
import { AUTH_PAGE } from './boot';

/**
 * The BFF, behind the same nginx as this app, through uni.request: the session is the browser's
 * HttpOnly cookie, sent with every same-origin request. (The function, not `uni`: uni-app compiles
 * each `uni.xxx` into an import, and an H5 build's global `uni` lacks most of them.)
 */
export const wxauth = createClient({ transport: uniTransport(uni.request) });

/** The address of this page, as the BFF will send the user back to it: a path, with this app's #/page. */
export const here = () => location.pathname + location.search + location.hash;

/** Through WeChat's login and back to `returnTo`. */
export function login(returnTo = here()): void {
  uni.reLaunch({ url: `${AUTH_PAGE}?returnTo=${encodeURIComponent(returnTo)}` });
}

// A call that finds the session ended: log in again, and come back here.
wxauth.onUnauthorized = () => login();

/**
 * This document was loaded as /auth (WeChat's callback): it has the auth page's Content-Security-Policy
 * (nginx.conf), which runs no script from elsewhere, WeChat's jweixin included.
 */
const loadedAsAuthPage = () => /^\/auth\/?$/.test(new URL(landingUrl() ?? location.href).pathname);

/**
 * Where the BFF says to go (a path on this site): a page of this app is a route change (reLaunch
 * replaces the history entry, so Back never returns to the login); anything else a page load. Leaving
 * the /auth document is a page load too, at the page's own address in the same history entry, so the
 * app's pages have their own policy and can set a share card.
 */
export function go(url: string): void {
  if (!url.startsWith('/#/')) return location.replace(url);
  if (!loadedAsAuthPage()) return void uni.reLaunch({ url: url.slice(2) });
  // Only the fragment differs from the address boot.ts gave this document: replace() would not load.
  history.replaceState(history.state, '', url);
  location.reload();
}

/**
 * What a page needs before it shows: a session (else the login), bound to a customer or not as the
 * page wants it (else the page that fits). Resolves with the session when the page may show.
 */
export async function guard(page: 'home' | 'bind'): Promise<SessionInfo | null> {
  const info = await wxauth.session();
  if (!info) login();
  else if (!info.bound && page !== 'bind') uni.reLaunch({ url: '/pages/bind/bind' });
  else if (info.bound && page === 'bind') uni.reLaunch({ url: '/pages/home/home' });
  else return info;
  return null;
}

/**
 * Words fit to show for a failed call: the contract's for its code, as the H5 app shows them (the
 * operator's own for an unknown phone); `fallback` for a code no user can act on.
 */
export const messageOf = (error: unknown, fallback?: string): string =>
  error instanceof ApiError
    ? userMessage(error.code, { details: error.details, fallback, serverMessage: error.message })
    : NETWORK_MESSAGE;
