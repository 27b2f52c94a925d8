import { createHash } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { jssdkSignature } from '../jssdk.js';
import { APP, startBff as start, type Bff } from '../../../__tests__/harness.js';

const configFor = (bff: Bff, url: string) =>
  fetch(`${bff.origin}/api/wechat/jssdk-config?${new URLSearchParams({ url })}`);

describe('jssdkSignature', () => {
  it("matches WeChat's published example", () => {
    expect(
      jssdkSignature({
        ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
        nonceStr: 'Wm3WZYTPz0wzccnW',
        timestamp: 1414587457,
        url: 'http://mp.weixin.qq.com?params=value',
      }),
    ).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });
});

describe.each([
  ['in-process', {}],
  ['Redis', { redis: true }],
] as const)('GET /api/wechat/jssdk-config, state %s', (_state, options) => {
  const startBff = (more: Parameters<typeof start>[0] = {}) => start({ ...options, ...more });

  it('signs the page URL without its #fragment, with the current jsapi_ticket', async () => {
    const bff = await startBff();
    const res = await configFor(bff, 'https://h5.example.com/orders?id=7#/detail');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { appId: string; timestamp: number; nonceStr: string; signature: string };
    expect(body).toMatchObject({ appId: APP.appid, nonceStr: expect.stringMatching(/^[A-Za-z0-9]{16}$/) });
    const ticket = bff.sim.issuedSecrets().at(-1)!;
    const expected = createHash('sha1')
      .update(
        `jsapi_ticket=${ticket}&noncestr=${body.nonceStr}&timestamp=${body.timestamp}&url=https://h5.example.com/orders?id=7`,
      )
      .digest('hex');
    expect(body.signature).toBe(expected);
  });

  it.each(['https://evil.com/page', 'http://h5.example.com/page', 'javascript:alert(1)', '/orders', ''])(
    'signs only pages of this site: %j is a 400',
    async (url) => {
      const bff = await startBff();
      const res = await configFor(bff, url);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('URL_INVALID');
    },
  );

  it('200 concurrent requests with a cold cache: one token fetch and one ticket fetch', async () => {
    const bff = await startBff();
    const answers = await Promise.all(Array.from({ length: 200 }, () => configFor(bff, 'https://h5.example.com/')));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(await bff.simStats()).toMatchObject({ '/cgi-bin/stable_token': 1, '/cgi-bin/ticket/getticket': 1 });
  });

  it('renews both ahead of their expiry, not after', async () => {
    const bff = await startBff();
    await configFor(bff, 'https://h5.example.com/');
    bff.advance(7200_000 - 5 * 60_000 - 1000);
    await configFor(bff, 'https://h5.example.com/');
    expect((await bff.simStats())['/cgi-bin/ticket/getticket']).toBe(1);
    bff.advance(2000);
    await configFor(bff, 'https://h5.example.com/');
    expect(await bff.simStats()).toMatchObject({ '/cgi-bin/stable_token': 2, '/cgi-bin/ticket/getticket': 2 });
  });

  // WeChat hands out the same jsapi_ticket while it is valid: asking again in its last minutes gets it
  // back with the time it has left. It is used until it expires, not fetched again on every request.
  it('a ticket WeChat hands out again near its end is used until it expires, then renewed', async () => {
    const bff = await startBff();
    await configFor(bff, 'https://h5.example.com/');
    const first = bff.sim.issuedSecrets().at(-1)!;
    bff.advance(7200_000 - 4 * 60_000);
    for (let i = 0; i < 5; i++) expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(200);
    expect((await bff.simStats())['/cgi-bin/ticket/getticket']).toBe(2);
    bff.advance(4 * 60_000);
    const res = await configFor(bff, 'https://h5.example.com/');
    const body = (await res.json()) as { nonceStr: string; timestamp: number; signature: string };
    expect((await bff.simStats())['/cgi-bin/ticket/getticket']).toBe(3);
    expect(body.signature).not.toBe(
      jssdkSignature({
        ticket: first,
        nonceStr: body.nonceStr,
        timestamp: body.timestamp,
        url: 'https://h5.example.com/',
      }),
    );
  });

  it.each([40001, 42001])('on %i expires the token that failed and tries once more', async (errcode) => {
    const bff = await startBff();
    await bff.fault({ path: '/cgi-bin/ticket/getticket', errcode });
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(200);
    expect(await bff.simStats()).toMatchObject({ '/cgi-bin/stable_token': 2, '/cgi-bin/ticket/getticket': 2 });
  });

  it('does not loop: a second 40001 is an error', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/cgi-bin/ticket/getticket', errcode: 40001, times: 2 });
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(502);
    expect((await bff.simStats())['/cgi-bin/ticket/getticket']).toBe(2);
  });

  it("signs pages of the site's other origins (WX_JSSDK_ORIGINS), with CORS for exactly those", async () => {
    const bff = await startBff({ env: { WX_JSSDK_ORIGINS: 'https://trade.example.com, https://pay.example.com' } });
    const ask = (url: string, origin: string) =>
      fetch(`${bff.origin}/api/wechat/jssdk-config?${new URLSearchParams({ url })}`, { headers: { origin } });
    const trade = await ask('https://trade.example.com/cart#x', 'https://trade.example.com');
    expect(trade.status).toBe(200);
    expect(trade.headers.get('access-control-allow-origin')).toBe('https://trade.example.com');
    expect(trade.headers.get('access-control-allow-credentials')).toBeNull();
    expect(trade.headers.get('vary')).toMatch(/Origin/);
    const evil = await ask('https://evil.example.com/', 'https://evil.example.com');
    expect(evil.status).toBe(400);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Its own origin is same-origin: no CORS header needed.
    expect(
      (await ask('https://h5.example.com/', 'https://h5.example.com')).headers.get('access-control-allow-origin'),
    ).toBeNull();
  });

  // 获取稳定版接口调用凭据: stable_token's tokens are "与 getAccessToken 获取的调用凭证完全隔离，互不影响".
  it("another system fetching cgi-bin/token does not retire the BFF's stable_token", async () => {
    const bff = await startBff();
    // The ticket fetch fails once, so the next request fetches a ticket with the cached token.
    await bff.fault({ path: '/cgi-bin/ticket/getticket', errcode: 40097 });
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(502);
    const otherSystem = await fetch(
      `${bff.simOrigin}/cgi-bin/token?${new URLSearchParams({ grant_type: 'client_credential', ...APP })}`,
    );
    expect(((await otherSystem.json()) as { access_token?: string }).access_token).toBeDefined();
    bff.advance(5 * 60_000 + 1000);
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(200);
    expect(await bff.simStats()).toMatchObject({ '/cgi-bin/stable_token': 1, '/cgi-bin/ticket/getticket': 2 });
  });

  it('fetches through cgi-bin/token when WX_TOKEN_API=token', async () => {
    const bff = await startBff({ env: { WX_TOKEN_API: 'token' } });
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(200);
    const stats = await bff.simStats();
    expect(stats).toMatchObject({ '/cgi-bin/token': 1, '/cgi-bin/ticket/getticket': 1 });
    expect(stats['/cgi-bin/stable_token']).toBeUndefined();
  });

  it('reports a refused appsecret as an operator problem, caches nothing, and recovers', async () => {
    const bff = await startBff();
    await bff.fault({ path: '/cgi-bin/stable_token', errcode: 40125 });
    const refused = await configFor(bff, 'https://h5.example.com/');
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('WECHAT_MISCONFIGURED');
    expect((await configFor(bff, 'https://h5.example.com/')).status).toBe(200);
  });
});

describe('the token and ticket across two instances on Redis and MariaDB', () => {
  const cluster = async (env: Record<string, string> = {}) => {
    const a = await start({ redis: true, mysql: true, env });
    const b = await start({ peer: a, env });
    return [a, b] as const;
  };

  it('1,000 concurrent requests across both with a cold cache: one token fetch and one ticket fetch', async () => {
    const [a, b] = await cluster();
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => configFor(i % 2 ? b : a, 'https://h5.example.com/')),
    );
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(await a.simStats()).toMatchObject({ '/cgi-bin/stable_token': 1, '/cgi-bin/ticket/getticket': 1 });
    // Whichever instance renewed says so, once, without the token.
    const said = [...a.logs, ...b.logs].join('');
    expect(said.match(/global access_token \(stable_token\) renewed/g)).toHaveLength(1);
    expect(said.match(/jsapi_ticket renewed/g)).toHaveLength(1);
  });

  it('with cgi-bin/token, where each fetch retires the last token, still one fetch for the cluster', async () => {
    const [a, b] = await cluster({ WX_TOKEN_API: 'token' });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => configFor(i % 2 ? b : a, 'https://h5.example.com/')),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(await a.simStats()).toMatchObject({ '/cgi-bin/token': 1, '/cgi-bin/ticket/getticket': 1 });
  });

  it('an instance that died holding the lock blocks the others only until its lease ends', async () => {
    const [a, b] = await cluster();
    const { Redis } = await import('ioredis');
    const redis = new Redis(inject('redisUrl'));
    // As if an instance took the lock and was killed before fetching: its lease is 400 ms here.
    await redis.set(`${a.redisPrefix}wx:token:${APP.appid}:lock`, '"dead-instance"', 'PX', 400);
    await redis.quit();
    const started = Date.now();
    const answers = await Promise.all([
      configFor(a, 'https://h5.example.com/'),
      configFor(b, 'https://h5.example.com/'),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await a.simStats()).toMatchObject({ '/cgi-bin/stable_token': 1, '/cgi-bin/ticket/getticket': 1 });
  });

  it('renewed ahead of expiry by one instance while the other keeps using the current one', async () => {
    const [a, b] = await cluster();
    await configFor(a, 'https://h5.example.com/');
    a.advance(7200_000 - 4 * 60_000);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => configFor(i % 2 ? b : a, 'https://h5.example.com/')),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(await a.simStats()).toMatchObject({ '/cgi-bin/stable_token': 2, '/cgi-bin/ticket/getticket': 2 });
  });
});
