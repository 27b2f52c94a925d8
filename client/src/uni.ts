import type { Transport } from './transport.js';

/** What uni.request is given: the options this transport uses, as uni-app names them. */
export interface UniRequestOptions {
  url: string;
  method: 'GET' | 'POST';
  data?: unknown;
  header: Record<string, string>;
  timeout: number;
  dataType: 'json';
  withCredentials: boolean;
  success(result: { statusCode: number; data: unknown }): void;
  fail(error: unknown): void;
}

/** uni-app's `uni.request`. */
export type UniRequest = (options: UniRequestOptions) => unknown;

export interface UniTransportOptions {
  /**
   * H5 only: send cookies with a call to a BFF on another origin (XMLHttpRequest's withCredentials;
   * the BFF must allow it by CORS). Same-origin calls carry the cookies either way: uni-app's H5 build
   * runs in the browser, and the session is the browser's HttpOnly cookie.
   */
  withCredentials?: boolean;
}

/**
 * uni-app's request as the transport: `uniTransport(uni.request)`. The function, not `uni`: uni-app's
 * compiler turns each `uni.xxx` in a project's code into an import of that API, and the global `uni`
 * of an H5 build does not have them all. Any status is an answer (uni-app calls `success` for a 4xx
 * or 5xx too); `fail` means no answer came.
 */
export function uniTransport(request: UniRequest, { withCredentials = false }: UniTransportOptions = {}): Transport {
  return ({ method, url, body, headers, timeout }) =>
    new Promise((resolve, reject) => {
      request({
        url,
        method,
        data: body,
        header: headers,
        timeout,
        dataType: 'json',
        withCredentials,
        // An empty body (204) or one that is not JSON comes back as a string: not data.
        success: ({ statusCode, data }) =>
          resolve({ status: statusCode, data: typeof data === 'string' ? undefined : data }),
        fail: reject,
      });
    });
}
