import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchTransport, uniTransport, type UniRequestOptions } from '../index.js';

const post = {
  method: 'POST' as const,
  url: '/api/sms/send',
  body: { phone: '13800138000' },
  headers: { 'Content-Type': 'application/json' },
  timeout: 1000,
};

describe('fetchTransport', () => {
  afterEach(() => void vi.useRealTimers());

  it('sends JSON with the page’s cookies, and parses the JSON answer', async () => {
    const fetch = vi.fn(async () => new Response('{"cooldownSeconds":60}', { status: 200 }));
    expect(await fetchTransport({ fetch })(post)).toEqual({ status: 200, data: { cooldownSeconds: 60 } });
    expect(fetch).toHaveBeenCalledWith('/api/sms/send', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"phone":"13800138000"}',
      credentials: 'same-origin',
      signal: expect.any(AbortSignal),
    });
  });

  it('any status is an answer; an empty or non-JSON body is no data', async () => {
    const answers = [new Response(null, { status: 204 }), new Response('<html>502</html>', { status: 502 })];
    const transport = fetchTransport({ fetch: async () => answers.shift()! });
    expect(await transport(post)).toEqual({ status: 204, data: undefined });
    expect(await transport(post)).toEqual({ status: 502, data: undefined });
  });

  it('a GET has no body; credentials "include" for a BFF on another origin', async () => {
    const fetch = vi.fn(async () => new Response('{}'));
    await fetchTransport({ fetch, credentials: 'include' })({
      method: 'GET',
      url: '/api/meta',
      headers: {},
      timeout: 1000,
    });
    expect(fetch).toHaveBeenCalledWith(
      '/api/meta',
      expect.objectContaining({ body: undefined, credentials: 'include' }),
    );
  });

  it('gives up after the timeout: the request is aborted and the call rejects', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn(
      (_url: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init!.signal!.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const pending = fetchTransport({ fetch })(post);
    const outcome = expect(pending).rejects.toThrow('aborted');
    await vi.advanceTimersByTimeAsync(1000);
    await outcome;
  });
});

describe('uniTransport', () => {
  /** uni's request as uni-app calls back: success for any status, fail when no answer came. */
  const uniAnswering = (answer: { statusCode: number; data: unknown } | 'fail') => {
    const calls: UniRequestOptions[] = [];
    const request = (options: UniRequestOptions) => {
      calls.push(options);
      if (answer === 'fail') options.fail({ errMsg: 'request:fail' });
      else options.success(answer);
    };
    return { request, calls };
  };

  it('passes method, url, JSON data, header and timeout as uni.request names them', async () => {
    const { request, calls } = uniAnswering({ statusCode: 200, data: { cooldownSeconds: 60 } });
    expect(await uniTransport(request)(post)).toEqual({ status: 200, data: { cooldownSeconds: 60 } });
    expect(calls[0]).toMatchObject({
      url: '/api/sms/send',
      method: 'POST',
      data: { phone: '13800138000' },
      header: { 'Content-Type': 'application/json' },
      timeout: 1000,
      dataType: 'json',
      withCredentials: false,
    });
  });

  it('withCredentials for a BFF on another origin; an error status is an answer; a string body is no data', async () => {
    const { request, calls } = uniAnswering({ statusCode: 204, data: '' });
    expect(await uniTransport(request, { withCredentials: true })(post)).toEqual({ status: 204, data: undefined });
    expect(calls[0]!.withCredentials).toBe(true);
  });

  it('fail: no answer, so the call rejects', async () => {
    const { request } = uniAnswering('fail');
    await expect(uniTransport(request)(post)).rejects.toEqual({ errMsg: 'request:fail' });
  });
});
