import axios, { type AxiosError } from 'axios';
import { ApiError, unauthorized } from './errors';

/** The axios instance. Loaded on the first call, so /auth can leave for WeChat without it. */
export const client = axios.create({ timeout: 15_000, headers: { 'Content-Type': 'application/json' } });

client.interceptors.response.use(undefined, (error: AxiosError<{ error?: { code: string; message: string } }>) => {
  const status = error.response?.status ?? 0;
  const body = error.response?.data?.error;
  if (status === 401 && !error.config?.headers?.['X-Session-Probe']) unauthorized();
  const {
    code = status ? `HTTP_${status}` : 'NETWORK',
    message = '网络异常，请检查网络后重试',
    ...details
  } = body ?? {};
  return Promise.reject(new ApiError(status, code, message, details));
});
