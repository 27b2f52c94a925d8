const MAX_LENGTH = 2048;
// Backslashes (browsers read `/\host` as `//host`) and control characters (header tricks, tabs that
// browsers strip) are refused outright.
// eslint-disable-next-line no-control-regex
const REFUSED = /[\\\u0000-\u001f\u007f]/;

/**
 * Where to send the user after login: only ever a path on `origin`, else `/`. The one rule for the
 * BFF and the H5 app. It decides on the path as a browser will resolve it: `.` and `..` segments
 * (`/.//evil.com`, `/%2e%2e//evil.com`) can turn a path into `//evil.com`, which names a host.
 */
export function safeReturnTo(input: unknown, origin: string): string {
  if (typeof input !== 'string' || input.length > MAX_LENGTH || !input.startsWith('/') || REFUSED.test(input))
    return '/';
  let url: URL;
  try {
    url = new URL(input, origin);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(origin).origin || url.pathname.startsWith('//')) return '/';
  return url.pathname + url.search + url.hash;
}
