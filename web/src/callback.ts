export interface Callback {
  code: string | null;
  state: string | null;
}

let captured: Callback | null = null;

/**
 * Runs before the app mounts: when WeChat has sent the user back to /auth?code=…&state=…, the two
 * are taken out of the address bar at once (history.replaceState), so back, refresh and a shared
 * link never send them again. Other parameters and the fragment stay, except WeChat's own
 * `#wechat_redirect`: the browser carries it back from the authorize URL, and it means nothing here.
 */
export function captureCallback(loc: Location = window.location, hist: History = window.history): void {
  if (loc.pathname !== '/auth') return;
  const query = new URLSearchParams(loc.search);
  if (!query.has('code') && !query.has('state')) return;
  captured = { code: query.get('code'), state: query.get('state') };
  query.delete('code');
  query.delete('state');
  const rest = query.toString();
  const hash = loc.hash === '#wechat_redirect' ? '' : loc.hash;
  hist.replaceState(hist.state, '', loc.pathname + (rest ? `?${rest}` : '') + hash);
}

/** The captured callback, once. */
export function takeCallback(): Callback | null {
  const result = captured;
  captured = null;
  return result;
}
