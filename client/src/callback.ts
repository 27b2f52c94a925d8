/** What WeChat sent back: `code` is missing when the user refused consent; `state` is always ours. */
export interface Callback {
  code: string | null;
  state: string | null;
}

export interface CaptureOptions {
  /** The page WeChat sends the user back to: the BFF's redirect_uri is PUBLIC_URL + "/auth". */
  path?: string;
  location?: Pick<Location, 'pathname' | 'search' | 'hash'> & Partial<Pick<Location, 'href'>>;
  history?: Pick<History, 'state' | 'replaceState'>;
}

let captured: Callback | null = null;
let landing: string | null = null;

/** The URL this document was first entered with (without #fragment), as captureCallback first saw it. */
export function landingUrl(): string | null {
  return landing;
}

/**
 * Run first, before a router reads the address: when WeChat has sent the user back to
 * /auth?code=…&state=…, the two are taken out of the address bar at once (history.replaceState), so
 * back, refresh and a shared link never send them again. WeChat's `#wechat_redirect` goes too, on any
 * page: the browser carries it back from the authorize URL, and a hash-mode router (uni-app's default)
 * would take it for a route. Other parameters and fragments stay. Returns the callback, and keeps it
 * for takeCallback(). The first call also keeps the landing URL for the JS-SDK (landingUrl()).
 */
export function captureCallback({
  path = '/auth',
  location: loc = window.location,
  history: hist = window.history,
}: CaptureOptions = {}): Callback | null {
  // iOS WeChat signs wx.config against this URL, code and all, whatever replaceState does below.
  if (landing === null && loc.href) landing = loc.href.split('#')[0]!;
  const query = new URLSearchParams(loc.search);
  const found = loc.pathname === path && (query.has('code') || query.has('state'));
  const hash = loc.hash === '#wechat_redirect' ? '' : loc.hash;
  if (!found && hash === loc.hash) return null;
  let search = loc.search;
  if (found) {
    captured = { code: query.get('code'), state: query.get('state') };
    query.delete('code');
    query.delete('state');
    const rest = query.toString();
    search = rest ? `?${rest}` : '';
  }
  hist.replaceState(hist.state, '', loc.pathname + search + hash);
  return found ? captured : null;
}

/** The callback captureCallback() took, once: a second call (a page mounted again) gets null. */
export function takeCallback(): Callback | null {
  const result = captured;
  captured = null;
  return result;
}
