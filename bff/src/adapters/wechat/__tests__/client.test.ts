import { describe, expect, it } from 'vitest';
import { createWechatClient } from '../client.js';
import type { WechatError } from '../errors.js';

type Step = { json: unknown } | { status: number } | { throws: Error } | { text: string };

/** A fetch that answers from a script and records every URL asked for. */
function scripted(...steps: Step[]) {
  const urls: string[] = [];
  const fetch = (async (input: string | URL) => {
    urls.push(String(input));
    const step = steps.shift();
    if (!step) throw new Error('unexpected request');
    if ('throws' in step) throw step.throws;
    if ('status' in step) return new Response('<html>bad gateway</html>', { status: step.status });
    if ('text' in step) return new Response(step.text, { status: 200 });
    return new Response(JSON.stringify(step.json), { status: 200, headers: { 'content-type': 'text/plain' } });
  }) as typeof globalThis.fetch;
  const client = createWechatClient({
    fetch,
    openBase: 'https://open.test',
    apiBase: 'https://api.test',
    timeoutMs: 50,
    sleep: async () => {},
  });
  return { client, urls };
}

const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
const timeout = () => Object.assign(new Error('timed out'), { name: 'TimeoutError' });
const TOKENS = { access_token: 'AT', expires_in: 7200, refresh_token: 'RT', openid: 'oOPENID', scope: 'snsapi_base' };
const exchange = (client: ReturnType<typeof scripted>['client']) =>
  client.exchangeCode({ appid: 'wx1', secret: 'SECRET', code: 'CODE' });
const failure = async (p: Promise<unknown>) =>
  (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as WechatError;

describe('authorizeUrl', () => {
  it('orders the parameters as WeChat checks them, encodes every value, and ends with #wechat_redirect', () => {
    const { client } = scripted();
    expect(
      client.authorizeUrl({
        appid: 'wx1',
        redirectUri: 'https://h5.example.com/auth?a=1&b=2',
        scope: 'snsapi_userinfo',
        state: 'S',
      }),
    ).toBe(
      'https://open.test/connect/oauth2/authorize?appid=wx1&redirect_uri=https%3A%2F%2Fh5.example.com%2Fauth%3Fa%3D1%26b%3D2&response_type=code&scope=snsapi_userinfo&state=S#wechat_redirect',
    );
  });
});

describe('exchangeCode', () => {
  it('calls sns/oauth2/access_token with the grant type and reads the reply', async () => {
    const { client, urls } = scripted({ json: { ...TOKENS, is_snapshotuser: 1 } });
    expect(await exchange(client)).toMatchObject({ openid: 'oOPENID', is_snapshotuser: 1 });
    expect(urls).toEqual([
      'https://api.test/sns/oauth2/access_token?appid=wx1&secret=SECRET&code=CODE&grant_type=authorization_code',
    ]);
  });

  it.each([
    [-1, 503, 'WECHAT_BUSY'],
    [40029, 400, 'CODE_INVALID'],
    [40163, 400, 'CODE_USED'],
    [42003, 400, 'CODE_EXPIRED'],
    [41008, 400, 'CODE_MISSING'],
    [40125, 500, 'WECHAT_MISCONFIGURED'],
    [40013, 500, 'WECHAT_MISCONFIGURED'],
    [40164, 500, 'WECHAT_MISCONFIGURED'],
    [45011, 429, 'WECHAT_RATE_LIMITED'],
    [40226, 403, 'WECHAT_RISKY_USER'],
  ])('errcode %i → %i %s, asked once', async (errcode, status, code) => {
    const { client, urls } = scripted({ json: { errcode, errmsg: 'x, rid: 1' } }, { json: TOKENS });
    const e = await failure(exchange(client));
    expect([e.status, e.code, e.errcode]).toEqual([status, code, errcode]);
    expect(urls).toHaveLength(1);
  });

  it.each([
    ['HTTP 502', { status: 502 }, 'WECHAT_UNAVAILABLE'],
    ['a timeout', { throws: timeout() }, 'WECHAT_TIMEOUT'],
    ['a reset connection', { throws: reset() }, 'WECHAT_UNREACHABLE'],
    ['a reply that is not JSON', { text: '<html>' }, 'WECHAT_BAD_REPLY'],
    ['a reply without openid', { json: { access_token: 'AT' } }, 'WECHAT_BAD_REPLY'],
  ] as const)('%s → %s, never asked again (the code may be spent)', async (_, step, code) => {
    const { client, urls } = scripted(step, { json: TOKENS });
    expect((await failure(exchange(client))).code).toBe(code);
    expect(urls).toHaveLength(1);
  });

  it('asks again only when the connection was refused, which never reached WeChat', async () => {
    const { client, urls } = scripted({ throws: refused() }, { throws: refused() }, { json: TOKENS });
    expect(await exchange(client)).toMatchObject({ openid: 'oOPENID' });
    expect(urls).toHaveLength(3);
  });

  it('gives up after the bounded number of attempts', async () => {
    const { client, urls } = scripted(
      { throws: refused() },
      { throws: refused() },
      { throws: refused() },
      { json: TOKENS },
    );
    expect((await failure(exchange(client))).code).toBe('WECHAT_UNREACHABLE');
    expect(urls).toHaveLength(3);
  });

  it('a real timeout is mapped from an answer that comes too late', async () => {
    const slow = (async (_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      )) as typeof fetch;
    const client = createWechatClient({ fetch: slow, openBase: '', apiBase: 'http://x', timeoutMs: 20 });
    expect((await failure(exchange(client))).code).toBe('WECHAT_TIMEOUT');
  });
});

describe('calls that are safe to repeat', () => {
  const info = { openid: 'oOPENID', nickname: '小微', headimgurl: 'https://x/a.png' };

  it('userinfo repeats -1, 5xx and timeouts with backoff, then succeeds', async () => {
    const { client, urls } = scripted(
      { json: { errcode: -1, errmsg: 'system error' } },
      { status: 503 },
      { json: info },
    );
    expect(await client.userinfo({ accessToken: 'AT', openid: 'oOPENID' })).toEqual(info);
    expect(urls).toHaveLength(3);
    expect(urls[0]).toBe('https://api.test/sns/userinfo?access_token=AT&openid=oOPENID&lang=zh_CN');
  });

  it('does not repeat a definite answer', async () => {
    const { client, urls } = scripted({ json: { errcode: 48001, errmsg: 'api unauthorized' } }, { json: info });
    expect((await failure(client.userinfo({ accessToken: 'AT', openid: 'o' }))).code).toBe('WECHAT_SCOPE_DENIED');
    expect(urls).toHaveLength(1);
  });

  it('is bounded: three attempts in all', async () => {
    const busy = { json: { errcode: -1, errmsg: 'system error' } };
    const { client, urls } = scripted(busy, busy, busy, { json: info });
    expect((await failure(client.checkToken({ accessToken: 'AT', openid: 'o' }))).code).toBe('WECHAT_BUSY');
    expect(urls).toHaveLength(3);
  });

  it('checkToken resolves on errcode 0 and maps 42001; refreshToken maps 42002', async () => {
    const { client } = scripted(
      { json: { errcode: 0, errmsg: 'ok' } },
      { json: { errcode: 42001, errmsg: 'access_token expired' } },
      { json: { errcode: 42002, errmsg: 'refresh_token timeout' } },
    );
    await expect(client.checkToken({ accessToken: 'AT', openid: 'o' })).resolves.toBeUndefined();
    expect((await failure(client.checkToken({ accessToken: 'AT', openid: 'o' }))).code).toBe('WECHAT_TOKEN_EXPIRED');
    expect((await failure(client.refreshToken({ appid: 'wx1', refreshToken: 'RT' }))).code).toBe(
      'WECHAT_REFRESH_TOKEN_INVALID',
    );
  });

  it('never puts the URL (which carries the secret) into an error', async () => {
    const { client } = scripted({ json: { errcode: 40125, errmsg: 'invalid appsecret' } });
    const e = await failure(exchange(client));
    expect(JSON.stringify({ message: e.message, stack: e.stack, details: e.details })).not.toContain('SECRET');
  });
});
