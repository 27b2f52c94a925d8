import type { Transport } from './transport.js';

export interface FetchTransportOptions {
  /**
   * Which cookies go with each call. The default, same-origin, suits a page served by the BFF's own
   * origin (behind the same nginx); "include" a page on another origin (the BFF must allow it by CORS).
   */
  credentials?: RequestCredentials;
  /** The fetch to use (tests; an old WebView's polyfill). Default: the global one, looked up per call. */
  fetch?: typeof fetch;
}

/** The browser's fetch: the default transport. */
export function fetchTransport({ credentials = 'same-origin', fetch: f }: FetchTransportOptions = {}): Transport {
  return async ({ method, url, body, headers, timeout }) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    try {
      const res = await (f ?? fetch)(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials,
        signal: abort.signal,
      });
      const text = await res.text();
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: a proxy's error page. The status alone tells what happened.
      }
      return { status: res.status, data };
    } finally {
      clearTimeout(timer);
    }
  };
}
