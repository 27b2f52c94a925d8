import type { FollowLoginInfo, FollowQr, FollowStatus, LoginResult } from '@wxauth/contract';
import { bff } from './http';

/** The desktop: a login QR code of the Official Account, bound to this browser. */
export const getFollowQr = async (returnTo: string): Promise<FollowQr> => (await bff()).followQr(returnTo);

/** The desktop: where its login stands now (the events stream says each change as it comes). */
export const getFollowState = async (): Promise<FollowStatus> => (await bff()).followState();

/** The desktop: the session, once the phone confirmed. */
export const finishFollow = async (): Promise<LoginResult> => (await bff()).followFinish();

/** The server's events for this desktop's login: `waiting`, `scanned`, `confirmed`, `cancelled`, `expired`. */
export const followEventsUrl = '/api/auth/follow/events';

/** The phone: the desktop that waits for this user's confirmation. */
export const getFollowLogin = async (login: string): Promise<FollowLoginInfo> => (await bff()).followLogin(login);

/** The phone: 确认登录 or 取消. */
export const answerFollow = async (login: string, confirm: boolean): Promise<FollowStatus> =>
  (await bff()).answerFollow(login, confirm);
