import type { SessionInfo } from '@wxauth/contract';
import { bff } from './http';

/** The current session, or null when there is none (a 401 here is an answer, not an expiry). */
export const getSession = async (): Promise<SessionInfo | null> => (await bff()).session();
