import type { WxauthClient } from '@wxauth/client';

export { ApiError, type ClientErrorCode } from '@wxauth/client';

let onUnauthorized: (() => void) | undefined;
let client: Promise<WxauthClient> | undefined;

/**
 * The BFF's one client (@wxauth/client, over fetch): every api/ function goes through it. Loaded on
 * the first call, so /auth leaves for WeChat without it.
 */
export function bff(): Promise<WxauthClient> {
  client ??= import('./bff').then((m) => m.createBff(() => onUnauthorized?.()));
  return client;
}

/** The router registers what a 401 means: the session ended, go through /auth and come back. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}
