import { safeReturnTo } from '@wxauth/contract';

/** A returnTo from the address bar, as a path on this origin: the BFF's rule, from the shared contract. */
export const sameSitePath = (input: unknown, origin = window.location.origin): string => safeReturnTo(input, origin);
