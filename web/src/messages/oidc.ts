import { userMessage } from '@wxauth/contract';

/** What each OpenID Connect scope gives the app, as the consent page lists it. */
const SCOPE_LABELS: Record<string, string> = {
  openid: '你的账号标识',
  phone: '手机号',
  profile: '微信昵称和头像',
  wechat: '微信身份（openid、unionid）',
  offline_access: '保持登录状态',
};

/** A scope's words; one we have none for, as the app named it. */
export const scopeLabel = (scope: string): string => SCOPE_LABELS[scope] ?? scope;

/** The interaction is gone (expired, another browser's, answered already): only the app can start again. */
export const CONSENT_EXPIRED = '这次登录已过期，请回到原来的应用重新登录';

/** What the consent page says for a failed call's `code`. */
export const consentMessage = (code: string): string => (code === 'NOT_FOUND' ? CONSENT_EXPIRED : userMessage(code));
