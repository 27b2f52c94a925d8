import type { Identity } from '../store/store.js';

/** What to do to the browser's session cookie: hold a new id, or drop it. Nothing else changes it. */
export type SessionEffect = { set: string } | 'drop';

/** What a use-case answers: the body for the client, and what becomes of its session. */
export interface Outcome<T> {
  body: T;
  session?: SessionEffect;
}

/** Where a signed-in WeChat user goes next: the one place this is decided. */
export const nextStep = (identity: Identity): 'home' | 'bind' => (identity.customer_id === null ? 'bind' : 'home');
