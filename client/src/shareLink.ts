/**
 * Never in a shared link: WeChat's callback (code, state), anything naming a session or a phone, and
 * the parameters WeChat adds to a shared link (from=singlemessage|groupmessage|timeline,
 * isappinstalled=0), which would otherwise pile up with every share of a share.
 */
export const NOT_SHARED: readonly string[] = ['code', 'state', 'sid', 'session', 'phone', 'from', 'isappinstalled'];

export interface ShareLinkOptions {
  /**
   * The app's routes are in the fragment (`#/pages/home/home`: uni-app's H5 default, vue-router's hash
   * history): that route stays, its own query cleaned the same way. Otherwise the fragment goes (an
   * old client's `#rd`).
   */
  hashRouter?: boolean;
}

/** The page itself, as a friend should open it: its path, its own parameters and route, nothing private. */
export function shareLink(href: string, { hashRouter = false }: ShareLinkOptions = {}): string {
  const url = new URL(href);
  clean(url.searchParams);
  // WeChat adds its parameters to the query; some clients put them after a hash route's path instead.
  const route = hashRouter && url.hash.startsWith('#/') ? cleanRoute(url.hash.slice(1)) : null;
  url.hash = '';
  return route === null ? url.href : `${url.href}#${route}`;
}

function clean(query: URLSearchParams): void {
  for (const name of NOT_SHARED) query.delete(name);
}

function cleanRoute(route: string): string {
  const at = route.indexOf('?');
  if (at === -1) return route;
  const query = new URLSearchParams(route.slice(at + 1));
  clean(query);
  const rest = query.toString();
  return route.slice(0, at) + (rest ? `?${rest}` : '');
}
