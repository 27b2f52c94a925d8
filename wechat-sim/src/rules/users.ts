import type { IncomingMessage, ServerResponse } from 'node:http';
import { stableId } from '../ids.js';
import type { SimApp } from '../types.js';

/** A simulated user's id, as the `wxsim_user` cookie carries it. */
export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Snapshot-page (朋友圈快照页) users: a virtual openid, no unionid, no consent page. */
export const isSnapshot = (user: string): boolean => user.startsWith('snapshot-');

/** Users who follow the Official Account and enter from it (its chat or menu): snsapi_userinfo is silent. */
export const isFollower = (user: string): boolean => user.startsWith('follower-');

/** Stable openids and unionids: the same key gives the same ids across restarts. */
export function userIds(idKey: string) {
  const openidOf = (appid: string, user: string): string =>
    isSnapshot(user) ? stableId(idKey, 'snapshot', appid, user) : stableId(idKey, 'openid', appid, user);
  // A unionid needs an Open Platform account and the user's consent (not snsapi_base).
  const unionidOf = (app: SimApp, user: string, scope: string): string | undefined =>
    app.openPlatform && !isSnapshot(user) && scope !== 'snsapi_base'
      ? stableId(idKey, 'unionid', app.openPlatform, user)
      : undefined;
  return { openidOf, unionidOf };
}

/** This browser is `user` on the simulator from now on. */
export function rememberUser(res: ServerResponse, user: string): void {
  res.setHeader('Set-Cookie', `wxsim_user=${user}; Path=/; SameSite=Lax; HttpOnly`);
}

/** The user of this browser: `?wxsim_user=` (then remembered), else the cookie, else `demo`. */
export function currentUser(req: IncomingMessage, q: URLSearchParams, res: ServerResponse): string {
  const fromQuery = q.get('wxsim_user');
  if (fromQuery && USER_ID.test(fromQuery)) {
    rememberUser(res, fromQuery);
    return fromQuery;
  }
  const fromCookie = /(?:^|;\s*)wxsim_user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  return fromCookie && USER_ID.test(fromCookie) ? fromCookie : 'demo';
}
