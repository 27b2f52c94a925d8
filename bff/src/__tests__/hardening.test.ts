import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBff, type Bff, type Browser } from './harness.js';

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const PUBLIC_URL = 'https://h5.example.com';

async function bound(bff: Bff, user = 'alice', phone = '13800138000'): Promise<Browser> {
  const browser = bff.browser();
  await browser.loginAndBind(user, phone, bff.inbox);
  return browser;
}

describe('returnTo is decided on the resolved path', () => {
  const DOT_SEGMENTS = [
    '/.//evil.example/x',
    '/..//evil.example/x',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/a/..//evil.example',
    '/.///evil.example',
  ];

  it.each(DOT_SEGMENTS)('%s: the login and the bind answer send the user to / on this site', async (returnTo) => {
    const bff = await startBff();
    const browser = bff.browser();
    const login = await browser.login({ user: 'alice', returnTo });
    expect(await login.json()).toEqual({ next: 'bind', returnTo: '/' });
    expect((await browser.post('/api/sms/send', { phone: '13800138000' })).status).toBe(200);
    const bind = await browser.post('/api/account/bind', {
      phone: '13800138000',
      smsCode: bff.inbox.get('13800138000'),
    });
    expect(await bind.json()).toEqual({ next: 'home', returnTo: '/' });
  });

  it.each(DOT_SEGMENTS)('%s: the embedded QR login keeps / as its returnTo', async (returnTo) => {
    const bff = await startBff();
    const res = await bff.browser().request(`/api/auth/wechat/qr-login?${new URLSearchParams({ returnTo })}`);
    const { state } = (await res.json()) as { state: string };
    expect((await bff.kv.get<{ returnTo: string }>(`state:${state}`))?.returnTo).toBe('/');
  });
});

describe('requests that change something come from this site', () => {
  const sibling = { origin: 'https://evil.example.com', 'sec-fetch-site': 'same-site' };

  it.each([
    ['a sibling subdomain', sibling],
    ['another site', { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }],
    ['an opaque origin', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['a browser that sends only Origin', { origin: 'https://evil.example.com' }],
    ['a browser that sends only Sec-Fetch-Site', { 'sec-fetch-site': 'same-site' }],
  ])('%s cannot log the user out or unbind: 403, and nothing changes', async (_, headers) => {
    const bff = await startBff();
    const browser = await bound(bff);
    for (const path of ['/api/auth/logout', '/api/account/unbind']) {
      const res = await browser.request(path, { method: 'POST', headers, json: {} });
      expect([res.status, await errorCode(res)]).toEqual([403, 'CROSS_ORIGIN_REQUEST']);
    }
    const session = await browser.request('/api/session');
    expect(((await session.json()) as { bound: boolean }).bound).toBe(true);
  });

  it('a sibling cannot bind a phone or send SMS in the user\u2019s session either', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.login({ user: 'alice' });
    const send = await browser.request('/api/sms/send', {
      method: 'POST',
      headers: sibling,
      json: { phone: '13800138000' },
    });
    expect(send.status).toBe(403);
    expect(bff.inbox.size).toBe(0);
  });

  it.each([
    ['the same origin (Sec-Fetch-Site)', { origin: 'http://127.0.0.1', 'sec-fetch-site': 'same-origin' }],
    ['PUBLIC_URL as Origin, from a browser without Sec-Fetch-Site', { origin: PUBLIC_URL }],
    ['a program that names no origin (curl)', {}],
  ])('%s may log out', async (_, headers) => {
    const bff = await startBff();
    const browser = await bound(bff);
    const res = await browser.request('/api/auth/logout', { method: 'POST', headers, json: {} });
    expect(res.status).toBe(204);
    expect((await browser.request('/api/session')).status).toBe(401);
  });

  it('every POST must be JSON, a body-less one too', async () => {
    const bff = await startBff();
    const browser = await bound(bff);
    for (const path of ['/api/auth/logout', '/api/account/unbind']) {
      const bare = await browser.request(path, { method: 'POST' });
      expect([bare.status, await errorCode(bare)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const plain = await browser.request(path, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      });
      expect(plain.status).toBe(415);
    }
    expect(((await (await browser.request('/api/session')).json()) as { bound: boolean }).bound).toBe(true);
    const empty = await browser.request('/api/account/unbind', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(204);
  });
});

describe('the SMS budget belongs to the WeChat user', () => {
  it('logging in again does not reset it: 5 codes an hour per WeChat identity', async () => {
    const bff = await startBff();
    const first = bff.browser();
    await first.login({ user: 'alice' });
    for (let i = 0; i < 5; i++)
      expect((await first.post('/api/sms/send', { phone: `1380013800${i}` })).status).toBe(200);
    const again = bff.browser();
    await again.login({ user: 'alice' });
    const sixth = await again.post('/api/sms/send', { phone: '13800138009' });
    expect([sixth.status, await errorCode(sixth)]).toEqual([429, 'SMS_RATE_LIMITED']);
    // Another WeChat user has a budget of their own.
    const bob = bff.browser();
    await bob.login({ user: 'bob' });
    expect((await bob.post('/api/sms/send', { phone: '13900139000' })).status).toBe(200);
  });
});

describe('a key sent twice', () => {
  it.each([
    [
      'plainly',
      (code: string, state: string, other: string) => `{"code":"${code}","state":"${other}","state":"${state}"}`,
    ],
    [
      'escaped',
      (code: string, state: string, other: string) => `{"code":"${code}","st\\u0061te":"${other}","state":"${state}"}`,
    ],
    [
      'escaped second',
      (code: string, state: string, other: string) => `{"state":"${state}","code":"${code}","\\u0073tate":"${other}"}`,
    ],
  ])('%s is refused before anything is used, and makes no session', async (_, body) => {
    const bff = await startBff();
    const browser = bff.browser();
    const { code, state } = await browser.authorize({ user: 'alice' });
    const res = await browser.request('/api/auth/wechat/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(code!, state, 'B'.repeat(32)),
    });
    expect([res.status, await errorCode(res)]).toEqual([400, 'BAD_JSON']);
    expect((await browser.request('/api/session')).status).toBe(401);
    expect((await bff.simStats())['/sns/oauth2/access_token']).toBeUndefined();
  });

  it('nested objects and arrays keep their own keys', async () => {
    const { repeatedKey } = await import('../platform/http/body.js');
    expect(repeatedKey('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\\"a\\":"}')).toBeUndefined();
    expect(repeatedKey('{"a":{"x":1,"x":2}}')).toBe('x');
    expect(repeatedKey('[{"k":1},{"k":2,"\\u006b":3}]')).toBe('k');
  });
});

describe('a client that hangs up mid-body', () => {
  it('is logged as its own doing (499), not as a database outage at error level', async () => {
    const bff = await startBff();
    const { port } = new URL(bff.origin);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /api/sms/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"phone":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((r) => setTimeout(r, 200));
    const lines = bff.logs.map((l) => JSON.parse(l) as { level: number; msg: string; status?: number; path?: string });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.find((l) => l.msg === 'request' && l.path === '/api/sms/send')?.status).toBe(499);
  });
});

/**
 * Sends a POST whose body never ends (chunked, or a Content-Length far past the limit) and returns what
 * came back and how long after the first byte of the answer the connection closed.
 */
async function endlessBody(bff: Bff, framing: 'chunked' | 'length') {
  const { port } = new URL(bff.origin);
  const header = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${2 ** 40}`;
  const piece = Buffer.alloc(64 * 1024, 'a');
  const chunk = framing === 'chunked' ? Buffer.concat([Buffer.from('10000\r\n'), piece, Buffer.from('\r\n')]) : piece;
  return new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
    let answer = '';
    let answeredAt = 0;
    const socket = connect(Number(port), '127.0.0.1', () => {
      const start = '{"phone":"';
      socket.write(`POST /api/sms/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${header}\r\n\r\n`);
      socket.write(framing === 'chunked' ? `${start.length.toString(16)}\r\n${start}\r\n` : start);
      // As fast as the server takes it, for as long as the connection is open.
      const pump = () => {
        while (!socket.destroyed && socket.writable && socket.write(chunk));
      };
      socket.on('drain', pump);
      pump();
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close 5 s on; answer so far: ${JSON.stringify(answer.slice(0, 200))}`));
    }, 5000);
    socket.on('data', (data: Buffer) => {
      answeredAt ||= Date.now();
      answer += data.toString('utf8');
    });
    // Its writes fail once the server has closed: that is the point, not a failure of the test.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: answeredAt ? Date.now() - answeredAt : -1 });
    });
  });
}

describe('a body over the limit', () => {
  it.each(['chunked', 'length'] as const)(
    'gets 413 BODY_TOO_LARGE, framed by %s, and nothing more of it is read',
    async (framing) => {
      const bff = await startBff();
      const { answer, closedAfterMs } = await endlessBody(bff, framing);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/\r\nconnection: close\r\n/i);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      expect(JSON.parse(body)).toEqual({ error: { code: 'BODY_TOO_LARGE', message: '请求体过大' } });
      // An endless body read on to its end would keep the connection open until the test gave up.
      expect(closedAfterMs).toBeGreaterThanOrEqual(0);
      expect(closedAfterMs).toBeLessThan(1000);
    },
  );
});

describe('paths that mean one thing to nginx and another to the router', () => {
  it.each([
    '/internal/customers/..%2F..%2Fapi/revoke-wechat',
    '/INTERNAL/customers/..%2f..%2Fapi/revoke-wechat',
    '/api/x%5C..%5Csession',
  ])('%s is refused before any route, bearer token or not', async (path) => {
    const bff = await startBff();
    for (const authorization of ['Bearer wrong', `Bearer ${bff.config.internalApiToken}`]) {
      const res = await fetch(bff.origin + path, { method: 'POST', headers: { authorization } });
      expect([res.status, await errorCode(res)]).toEqual([400, 'BAD_REQUEST']);
    }
  });
});
