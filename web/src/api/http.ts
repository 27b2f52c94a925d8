import type { AxiosRequestConfig } from 'axios';

export { ApiError, setUnauthorizedHandler } from './errors';

const client = () => import('./client').then((m) => m.client);

/** The api/ functions' one way to the BFF: axios, imported on first use. */
export const http = {
  async get<T>(url: string, config?: AxiosRequestConfig) {
    return (await client()).get<T>(url, config);
  },
  // Always a JSON body, `{}` when there is nothing to send: the BFF takes no other POST.
  async post<T>(url: string, body: unknown = {}, config?: AxiosRequestConfig) {
    return (await client()).post<T>(url, body, config);
  },
};
