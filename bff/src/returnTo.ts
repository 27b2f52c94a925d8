/**
 * Where to send the user after login: only ever a path on our own origin. Anything that could
 * leave the site (`//evil`, `/\evil`, `https://…`, control characters) falls back to `/`.
 */
export function safeReturnTo(input: unknown, publicUrl: string): string {
  if (typeof input !== 'string' || input.length > 2048) return '/';
  // Control characters (CR/LF header tricks, tabs browsers strip) are refused outright.
  // eslint-disable-next-line no-control-regex
  if (!input.startsWith('/') || input.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(input)) return '/';
  try {
    const url = new URL(input, publicUrl);
    if (url.origin !== new URL(publicUrl).origin) return '/';
    return url.pathname + url.search + url.hash;
  } catch {
    return '/';
  }
}
