import { userMessage, type ErrorDetails } from '@wxauth/contract';
import type { ApiError } from '@/api/http';

/**
 * What the bind and home pages say for `code`: the contract's words with what the details add (tries
 * left, minutes of a lock); the operator's own for PHONE_NOT_REGISTERED (`serverMessage`,
 * DIRECTORY_UNKNOWN_PHONE_MESSAGE); 操作失败 for a code the user can do nothing about.
 */
export const accountMessage = (code: ApiError['code'], details: ErrorDetails = {}, serverMessage?: string): string =>
  userMessage(code, { details, serverMessage });
