import type { ErrorCode } from '@wxauth/contract';

/** The message for `code`; `fallback` for a code that is not the BFF's (the client's own, or a URL's). */
export const lookup = (messages: Record<ErrorCode, string>, code: string, fallback: string): string =>
  Object.prototype.hasOwnProperty.call(messages, code) ? messages[code as ErrorCode] : fallback;
