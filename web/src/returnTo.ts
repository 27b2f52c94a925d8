/**
 * A returnTo from the address bar, as a path on this origin; anything that would leave it (`//evil`,
 * `/\evil`, `https://…`) is `/`. The BFF checks the same again for the login itself.
 */
export function sameSitePath(input: unknown, origin = window.location.origin): string {
  if (typeof input !== 'string' || !input.startsWith('/')) return '/';
  try {
    const url = new URL(input, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : '/';
  } catch {
    return '/';
  }
}
