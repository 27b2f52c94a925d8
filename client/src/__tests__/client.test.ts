import { describe, expect, it, vi } from 'vitest';
import { ApiError, createClient, type Transport, type TransportRequest, type TransportResponse } from '../index.js';

/** A transport that records each request and answers with the next of `answers`. */
function scripted(...answers: Array<TransportResponse | Error>) {
  const requests: TransportRequest[] = [];
  const transport: Transport = async (request) => {
    requests.push(request);
    const answer = answers.shift() ?? { status: 200, data: {} };
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { requests, transport };
}

const error = (status: number, code: string, message: string, details = {}) => ({
  status,
  data: { error: { code, message, ...details } },
});

describe('requests', () => {
  it('posts JSON with its Content-Type, and answers with the body', async () => {
    const { requests, transport } = scripted({ status: 200, data: { next: 'bind', returnTo: '/' } });
    const client = createClient({ transport });
    expect(await client.login('C', 'S')).toEqual({ next: 'bind', returnTo: '/' });
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/api/auth/wechat/login',
        body: { code: 'C', state: 'S' },
        headers: { 'Content-Type': 'application/json' },
        timeout: 15_000,
      },
    ]);
  });

  it('sends `{}` with a POST that has nothing to say, and no Content-Type with a GET', async () => {
    const { requests, transport } = scripted({ status: 204, data: undefined });
    const client = createClient({ transport, baseUrl: 'https://h5.example.com', timeout: 5000 });
    await client.logout();
    await client.jssdkConfig('https://h5.example.com/a?b=1&c=2');
    expect(requests[0]).toMatchObject({ method: 'POST', url: 'https://h5.example.com/api/auth/logout', body: {} });
    expect(requests[1]).toEqual({
      method: 'GET',
      url: 'https://h5.example.com/api/wechat/jssdk-config?url=https%3A%2F%2Fh5.example.com%2Fa%3Fb%3D1%26c%3D2',
      body: undefined,
      headers: {},
      timeout: 5000,
    });
  });

  it.each([
    ['meta', (c: ReturnType<typeof createClient>) => c.meta(), 'GET', '/api/meta', undefined],
    [
      'sendSms',
      (c: ReturnType<typeof createClient>) => c.sendSms('13800138000'),
      'POST',
      '/api/sms/send',
      { phone: '13800138000' },
    ],
    [
      'bindPhone',
      (c: ReturnType<typeof createClient>) => c.bindPhone('13800138000', '123456'),
      'POST',
      '/api/account/bind',
      { phone: '13800138000', smsCode: '123456' },
    ],
    [
      'bindPassword',
      (c: ReturnType<typeof createClient>) => c.bindPassword('alice', 'pw'),
      'POST',
      '/api/account/bind-password',
      { account: 'alice', password: 'pw' },
    ],
    ['unbind', (c: ReturnType<typeof createClient>) => c.unbind(), 'POST', '/api/account/unbind', {}],
    [
      'qrLogin',
      (c: ReturnType<typeof createClient>) => c.qrLogin('/a b'),
      'GET',
      '/api/auth/wechat/qr-login?returnTo=%2Fa%20b',
      undefined,
    ],
    [
      'oidcConsent',
      (c: ReturnType<typeof createClient>) => c.oidcConsent('a/b'),
      'GET',
      '/api/oidc/interaction/a%2Fb/consent',
      undefined,
    ],
    [
      'followQr',
      (c: ReturnType<typeof createClient>) => c.followQr('/orders'),
      'POST',
      '/api/auth/follow/qr',
      { returnTo: '/orders' },
    ],
    [
      'followState',
      (c: ReturnType<typeof createClient>) => c.followState(),
      'GET',
      '/api/auth/follow/state',
      undefined,
    ],
    ['followFinish', (c: ReturnType<typeof createClient>) => c.followFinish(), 'POST', '/api/auth/follow/finish', {}],
    [
      'followLogin',
      (c: ReturnType<typeof createClient>) => c.followLogin('ab12'),
      'GET',
      '/api/auth/follow/login?login=ab12',
      undefined,
    ],
    [
      'answerFollow',
      (c: ReturnType<typeof createClient>) => c.answerFollow('ab12', true),
      'POST',
      '/api/auth/follow/confirm',
      { login: 'ab12' },
    ],
    [
      'answerFollow (cancel)',
      (c: ReturnType<typeof createClient>) => c.answerFollow('ab12', false),
      'POST',
      '/api/auth/follow/cancel',
      { login: 'ab12' },
    ],
    [
      'answerOidcConsent',
      (c: ReturnType<typeof createClient>) => c.answerOidcConsent('u1', false),
      'POST',
      '/api/oidc/interaction/u1/consent',
      { approve: false },
    ],
  ] as const)('%s', async (_name, call, method, url, body) => {
    const { requests, transport } = scripted();
    await call(createClient({ transport }));
    expect(requests[0]).toMatchObject({ method, url, body });
  });
});

describe('errors', () => {
  it('an error body: the BFF’s code, message and details', async () => {
    const { transport } = scripted(error(400, 'SMS_CODE_INVALID', '验证码错误', { triesLeft: 4 }));
    const failure = await createClient({ transport })
      .bindPhone('13800138000', '000000')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({
      status: 400,
      code: 'SMS_CODE_INVALID',
      message: '验证码错误',
      details: { triesLeft: 4 },
    });
  });

  it('another server’s answer (a proxy’s 502 page): HTTP_<status>', async () => {
    const { transport } = scripted({ status: 502, data: undefined });
    await expect(createClient({ transport }).meta()).rejects.toMatchObject({ status: 502, code: 'HTTP_502' });
  });

  it('no answer at all: NETWORK, status 0', async () => {
    const { transport } = scripted(new TypeError('Failed to fetch'));
    await expect(createClient({ transport }).meta()).rejects.toMatchObject({
      status: 0,
      code: 'NETWORK',
      message: '网络异常，请检查网络后重试',
    });
  });
});

describe('the session and the 401 hook', () => {
  it('session(): the session, or null on 204 (and on an older BFF’s 401), without calling the hook', async () => {
    const info = {
      bound: true,
      unionid: false,
      user: { phone: '138****8000', displayName: null, nickname: null, avatar: null },
    };
    const onUnauthorized = vi.fn();
    const { requests, transport } = scripted(
      { status: 200, data: info },
      { status: 204, data: undefined },
      { status: 204, data: '' },
      error(401, 'SESSION_REQUIRED', '请先登录'),
    );
    const client = createClient({ transport, onUnauthorized });
    expect(await client.session()).toEqual(info);
    expect(await client.session()).toBeNull();
    expect(await client.session()).toBeNull();
    expect(await client.session()).toBeNull();
    // Asked so that nobody signed in is no failed request in the browser's console.
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/api/session?optional=1' });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('session() still fails when the session cannot be checked', async () => {
    const { transport } = scripted(error(503, 'SERVICE_UNAVAILABLE', '服务暂不可用'));
    await expect(createClient({ transport }).session()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('SESSION_REQUIRED from any other call: the hook, set later, hears it, and the call still fails', async () => {
    const { transport } = scripted(error(401, 'SESSION_REQUIRED', '请先登录'));
    const client = createClient({ transport });
    const hook = vi.fn();
    client.onUnauthorized = hook;
    await expect(client.sendSms('13800138000')).rejects.toMatchObject({ code: 'SESSION_REQUIRED' });
    expect(hook).toHaveBeenCalledWith(expect.objectContaining({ status: 401, code: 'SESSION_REQUIRED' }));
  });

  it('a wrong password is a 401 too, but not the end of the session', async () => {
    const onUnauthorized = vi.fn();
    const { transport } = scripted(error(401, 'CREDENTIALS_INVALID', '账号或密码错误'));
    await expect(createClient({ transport, onUnauthorized }).bindPassword('a', 'b')).rejects.toMatchObject({
      code: 'CREDENTIALS_INVALID',
    });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });
});
