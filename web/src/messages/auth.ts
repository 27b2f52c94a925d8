import { ERROR_MESSAGES, userMessage } from '@wxauth/contract';

/** A refusal of the profile step before binding, which the user may skip: the login goes on without it. */
const REFUSED_SKIPPABLE = '你已拒绝授权。授权后，在电脑上用微信登录无需再绑定手机号；也可以跳过这一步。';

/**
 * What the auth page says for `code`: an answer's (or the client's own), or the one the BFF puts in
 * /auth?error= when it cannot start. The contract's words; a code the user can do nothing about reads
 * as LOGIN_FAILED.
 */
export const authMessage = (code: string, opts: { canSkip?: boolean } = {}) =>
  code === 'CODE_MISSING' && opts.canSkip
    ? REFUSED_SKIPPABLE
    : userMessage(code, { fallback: ERROR_MESSAGES.LOGIN_FAILED });
