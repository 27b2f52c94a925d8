import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { client } from '../api/client';
import { type ApiError, setUnauthorizedHandler } from '../api/errors';

/** Every call answers `status` with `body`, as the BFF's error answers do. */
function answer(status: number, body: unknown): void {
  client.defaults.adapter = async (config: InternalAxiosRequestConfig) => {
    const response = { data: body, status, statusText: '', headers: {}, config } as AxiosResponse;
    throw new AxiosError(`status ${status}`, AxiosError.ERR_BAD_REQUEST, config, null, response);
  };
}

describe('the axios client', () => {
  const expired = vi.fn();
  setUnauthorizedHandler(expired);
  afterEach(() => expired.mockClear());

  it("turns the BFF's error body into an ApiError with its code and details", async () => {
    answer(429, { error: { code: 'ACCOUNT_LOCKED', message: '尝试次数过多', retryAfterSeconds: 900 } });
    const err = (await client.post('/api/account/bind-password', {}).catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.code, err.message, err.details]).toEqual([
      429,
      'ACCOUNT_LOCKED',
      '尝试次数过多',
      { retryAfterSeconds: 900 },
    ]);
  });

  it('a 401 is the session ending, but not a wrong account or password', async () => {
    answer(401, { error: { code: 'CREDENTIALS_INVALID', message: '账号或密码错误' } });
    await expect(client.post('/api/account/bind-password', {})).rejects.toMatchObject({ code: 'CREDENTIALS_INVALID' });
    expect(expired).not.toHaveBeenCalled();
    answer(401, { error: { code: 'SESSION_REQUIRED', message: '请先登录' } });
    await expect(client.post('/api/account/unbind', {})).rejects.toMatchObject({ code: 'SESSION_REQUIRED' });
    expect(expired).toHaveBeenCalledOnce();
  });
});
