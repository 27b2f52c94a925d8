import type { Scope } from '@wxauth/contract';

export interface AuthorizeParams {
  /** snsapi_base (silent, the default) or snsapi_userinfo (WeChat's consent page, for the profile). */
  scope?: Scope;
  /** Where the user goes after the login: a path on the site (the BFF turns anything else into /). */
  returnTo: string;
  /** The state of a flow the user refused at WeChat: the BFF asks the same (scope, returnTo) again. */
  again?: string;
  /** The BFF's origin when it is not the page's own; default "" (this origin, behind the same nginx). */
  baseUrl?: string;
}

/** Not a call but a navigation: the BFF answers this URL with a 302 to WeChat's authorize page. */
export function authorizeUrl({ scope = 'snsapi_base', returnTo, again, baseUrl = '' }: AuthorizeParams): string {
  const q = new URLSearchParams({ scope, returnTo });
  if (again) q.set('again', again);
  return `${baseUrl}/api/auth/wechat/authorize?${q}`;
}

/** Leaves for WeChat. A replace, not a push: Back from the next page must not come here again. */
export function startAuthorization(params: AuthorizeParams, loc: Pick<Location, 'replace'> = window.location): void {
  loc.replace(authorizeUrl(params));
}

/** WeChat's in-app browser: web authorization works only there (or on the demo's simulator). */
export const inWechat = (ua: string = navigator.userAgent): boolean => /MicroMessenger/i.test(ua);
