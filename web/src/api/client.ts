import axios, { type AxiosError } from 'axios';
import type { ErrorBody } from '@wxauth/contract';
import { ApiError, type ClientErrorCode, unauthorized } from './errors';

/** The axios instance. Loaded on the first call, so /auth can leave for WeChat without it. */
export const client = axios.create({ timeout: 15_000, headers: { 'Content-Type': 'application/json' } });

client.interceptors.response.use(undefined, (error: AxiosError<Partial<ErrorBody>>) => {
  const status = error.response?.status ?? 0;
  const body = error.response?.data?.error;
  // A 401 means the session ended, except a wrong account or password: that is the call's own answer.
  if (status === 401 && body?.code !== 'CREDENTIALS_INVALID' && !error.config?.headers?.['X-Session-Probe'])
    unauthorized();
  const fallback: ClientErrorCode = status ? `HTTP_${status}` : 'NETWORK';
  const { code = fallback, message = '网络异常，请检查网络后重试', ...details } = body ?? {};
  return Promise.reject(new ApiError(status, code, message, details));
});
