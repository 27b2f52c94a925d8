import type { SessionInfo } from '@wxauth/contract';
import { ApiError, http } from './http';

/** The current session, or null when there is none (a 401 here is an answer, not an expiry). */
export async function getSession(): Promise<SessionInfo | null> {
  try {
    return (await http.get<SessionInfo>('/api/session', { headers: { 'X-Session-Probe': '1' } })).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}
