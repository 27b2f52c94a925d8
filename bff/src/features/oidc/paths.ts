import type { IncomingMessage } from 'node:http';

// What the rest of the BFF needs of the provider without loading it (oidc-provider is loaded only when
// OIDC_CLIENTS_FILE is set: index.ts's loadOidcRuntime).

/** Where the provider lives under PUBLIC_URL: its own path, so none of its routes meets the H5 app's (/auth). */
export const OIDC_PATH = '/oidc';
/** Our interaction route: the provider sends the browser here; we send it back when the session exists. */
export const INTERACTION_PATH = '/api/oidc/interaction';

/**
 * The provider's idea of where it is comes from PUBLIC_URL, never from the request: every URL it
 * writes (discovery, redirects) is the issuer's, whatever Host or port nginx passed (its $host has no
 * port) and whatever a client sent straight to the BFF (no poisoned discovery). It reads them as a
 * proxy's headers (provider.proxy), and these are the only ones it gets: set here from the config.
 */
export function asPublic(publicUrl: string): (req: IncomingMessage) => void {
  const { host, protocol } = new URL(publicUrl);
  return (req) => {
    req.headers['x-forwarded-host'] = host;
    req.headers['x-forwarded-proto'] = protocol.slice(0, -1);
  };
}
