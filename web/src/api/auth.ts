import type { LoginResult, Meta, QrLogin } from '@wxauth/contract';
import { bff } from './http';

/** Not a call but a navigation: the BFF answers 302 to WeChat. */
export { authorizeUrl } from '@wxauth/client';

export const login = async (code: string, state: string): Promise<LoginResult> => (await bff()).login(code, state);

export const logout = async (): Promise<void> => (await bff()).logout();

export const getMeta = async (): Promise<Meta> => (await bff()).meta();

/** wxLogin.js's parameters for the embedded QR, and the URL it would frame. */
export const getQrLogin = async (returnTo: string): Promise<QrLogin> => (await bff()).qrLogin(returnTo);
