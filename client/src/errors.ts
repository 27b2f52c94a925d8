import type { ErrorCode, ErrorDetails } from '@wxauth/contract';

/**
 * The client's own codes, for a call the BFF did not answer with an error body: no answer, or another
 * server's; WX_LOGIN_FAILED: a mini program's `wx.login` (or `uni.login`) failed, so nothing was asked.
 */
export type ClientErrorCode = 'NETWORK' | `HTTP_${number}` | 'WX_LOGIN_FAILED';

/** A failed call to the BFF, with the BFF's stable error code (status 0: no answer at all). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
