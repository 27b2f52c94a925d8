import type { OidcConsent, OidcConsentResult } from '@wxauth/contract';
import { bff } from './http';

/** Another company's app asks to sign the user in: who it is, and what it asks for. */
export const getConsent = async (uid: string): Promise<OidcConsent> => (await bff()).oidcConsent(uid);

/** 同意 or 拒绝: where the browser goes next (back to the provider, then to the app). */
export const answerConsent = async (uid: string, approve: boolean): Promise<OidcConsentResult> =>
  (await bff()).answerOidcConsent(uid, approve);
