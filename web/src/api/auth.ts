import type { LoginResult, Meta, QrLogin, Scope } from '@wxauth/contract';
import { http } from './http';

/** Not a call but a navigation: the BFF answers 302 to WeChat. */
export function authorizeUrl(p: { scope: Scope; returnTo: string; again?: string }): string {
  const q = new URLSearchParams({ scope: p.scope, returnTo: p.returnTo });
  // A refused flow's state: the BFF asks the same again (it alone knows a deep link's returnTo).
  if (p.again) q.set('again', p.again);
  return `/api/auth/wechat/authorize?${q}`;
}

export async function login(code: string, state: string): Promise<LoginResult> {
  return (await http.post<LoginResult>('/api/auth/wechat/login', { code, state })).data;
}

export async function logout(): Promise<void> {
  await http.post('/api/auth/logout');
}

export async function getMeta(): Promise<Meta> {
  return (await http.get<Meta>('/api/meta')).data;
}

/** wxLogin.js's parameters for the embedded QR, and the URL it would frame. */
export async function getQrLogin(returnTo: string): Promise<QrLogin> {
  return (await http.get<QrLogin>('/api/auth/wechat/qr-login', { params: { returnTo } })).data;
}
