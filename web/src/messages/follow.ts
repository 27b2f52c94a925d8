import { ERROR_MESSAGES, userMessage } from '@wxauth/contract';

/** What a page of the login through the Official Account says for a failed call: the contract's words. */
export const followMessage = (code: string) => userMessage(code, { fallback: ERROR_MESSAGES.LOGIN_FAILED });

/** The desktop's words for each state of its login. */
export const DESKTOP_STATES = {
  waiting: { title: '微信扫码关注登录', text: '请用微信扫描二维码，关注公众号后即可登录' },
  scanned: { title: '已扫码', text: '请在手机微信中点开公众号发来的消息，确认登录' },
  confirmed: { title: '正在登录…', text: '已在手机上确认' },
  cancelled: { title: '已取消登录', text: '你已在手机上取消这次登录' },
  expired: { title: '二维码已过期', text: '请刷新二维码后重新扫码' },
} as const;
