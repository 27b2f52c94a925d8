import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePorts, startStack } from '../stack.mjs';
import { expect, test } from './fixtures';

// Request-level checks of the shipped nginx.conf in front of the stacks: mostly the real one.
test.use({ baseURL: async ({ real }, use) => use(real.origin) });
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HSTS = 'max-age=31536000; includeSubDomains';

test.describe('TLS terminated in front of nginx (X-Forwarded-Proto: https)', () => {
  const https = { 'x-forwarded-proto': 'https' };

  test('HSTS is sent when the terminator says https, and only then', async ({ request, proxied }) => {
    for (const path of ['/auth', '/assets/missing.js', '/api/session']) {
      const front = await request.get(path, { headers: https });
      expect([path, front.headers()['strict-transport-security']]).toEqual([path, HSTS]);
      const plain = await request.get(path);
      expect([path, plain.headers()['strict-transport-security']]).toEqual([path, undefined]);
    }
    // A downgrade is never believed.
    const down = await request.get('/auth', { headers: { 'x-forwarded-proto': 'http' } });
    expect(down.headers()['strict-transport-security']).toBeUndefined();
    // The authorization proxy's own domain too.
    const proxy = { host: 'proxy.example.test' };
    const front = await request.get(`http://127.0.0.1:${proxied.port}/nginx-health`, {
      headers: { ...proxy, ...https },
    });
    expect(front.headers()['strict-transport-security']).toBe(HSTS);
    expect(front.headers()['content-security-policy'], 'the proxy server, not the H5 one').toBeUndefined();
    const plain = await request.get(`http://127.0.0.1:${proxied.port}/nginx-health`, { headers: proxy });
    expect(plain.headers()['strict-transport-security']).toBeUndefined();
  });

  test("the BFF behind nginx sees https: the proxy's callback is https", async ({ request, demo }) => {
    // The demo stack's proxy derives its callback from the request (no WX_PROXY_PUBLIC_URL). Only the
    // scheme is nginx's doing: the host (and the demo's port) are the BFF's.
    const q = new URLSearchParams({
      appid: 'wx00000000000000de',
      redirect_uri: 'http://localhost/back',
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'front',
    });
    const callback = async (headers?: Record<string, string>) => {
      const res = await request.get(`${demo.origin}/wx-proxy/?${q}`, { headers, maxRedirects: 0 });
      expect(res.status()).toBe(302);
      const { protocol, pathname } = new URL(new URL(res.headers()['location']!).searchParams.get('redirect_uri')!);
      return { protocol, pathname };
    };
    expect(await callback(https)).toEqual({ protocol: 'https:', pathname: '/wx-proxy/callback' });
    expect(await callback()).toEqual({ protocol: 'http:', pathname: '/wx-proxy/callback' });
  });
});

test("the authorization proxy's own domain serves MP_verify too: WeChat checks every 网页授权域名", async ({
  request,
  proxied,
}) => {
  const proxy = { host: 'proxy.example.test' };
  const shipped = 'MP_verify_wxauthDemoVerifyToken0.txt';
  const res = await request.get(`http://127.0.0.1:${proxied.port}/${shipped}`, { headers: proxy });
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^text\/plain/);
  expect(await res.body()).toEqual(readFileSync(join(import.meta.dirname, '../../public', shipped)));
  writeFileSync(join(proxied.verifyDir, 'MP_verify_ProxyDomain7.txt'), 'ProxyDomain7');
  const mounted = await request.get(`http://127.0.0.1:${proxied.port}/MP_verify_ProxyDomain7.txt`, { headers: proxy });
  expect(await mounted.text()).toBe('ProxyDomain7');
  // Still nothing else of the H5 app there.
  const other = await request.get(`http://127.0.0.1:${proxied.port}/assets/`, { headers: proxy });
  expect(other.status()).toBe(404);
  const missing = await request.get(`http://127.0.0.1:${proxied.port}/MP_verify_Missing.txt`, { headers: proxy });
  expect(missing.status()).toBe(404);
});

test('no dot file or dot folder is served (the build manifest), /.well-known/ still falls through', async ({
  request,
}) => {
  // bench:web reads the manifest from dist/, so the build keeps writing it: nginx must not serve it.
  expect(existsSync(join(import.meta.dirname, '../../web/dist/.vite/manifest.json'))).toBe(true);
  for (const path of [
    '/.vite/manifest.json',
    '/%2Evite/manifest.json',
    '/.vite/',
    '/.env',
    '/assets/.hidden.js',
    '/.well-known/.x',
  ]) {
    const res = await request.get(path);
    expect([path, res.status()]).toEqual([path, 404]);
    expect(await res.text()).not.toContain('src/main.ts');
  }
  expect((await request.get('/.well-known/anything')).status()).toBe(200);
});

test('only a found asset is cached for good: a missing one is a 404 nobody keeps', async ({ request }) => {
  const html = await (await request.get('/auth')).text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const found = await request.get(asset);
  expect([found.status(), found.headers()['cache-control']]).toEqual([200, IMMUTABLE]);
  // A revalidation keeps the same long cache.
  const etag = found.headers()['etag']!;
  const again = await request.get(asset, { headers: { 'if-none-match': etag } });
  expect([again.status(), again.headers()['cache-control']]).toEqual([304, IMMUTABLE]);

  for (const path of ['/assets/missing.js', '/assets/', '/MP_verify_Missing.txt', '/internal/x']) {
    const res = await request.get(path);
    expect([path, res.status(), res.headers()['cache-control']]).toEqual([path, 404, 'no-store']);
  }
  expect((await request.get('/orders/42')).headers()['cache-control']).toBe('no-cache');
  expect((await request.get('/api/session')).headers()['cache-control']).toBe('no-store');
});

test("nginx's own redirects stay relative: no http and no internal port behind a TLS terminator", async ({
  request,
}) => {
  const res = await request.get('/wx-proxy?appid=wx0&state=s', {
    headers: { 'x-forwarded-proto': 'https', host: 'h5.example.com' },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(301);
  expect(res.headers()['location']).toBe('/wx-proxy/?appid=wx0&state=s');
});

test("the access log keeps the path, never the query string with WeChat's code and state", async ({
  request,
  real,
}) => {
  const marker = `c0de${Date.now()}`;
  await request.get(`/auth?code=${marker}&state=${marker}`);
  await request.get(`/wx-proxy/callback?code=${marker}&state=${marker}`);
  await expect.poll(() => readFileSync(real.accessLog, 'utf8')).toMatch(/"GET \/wx-proxy\/callback HTTP\/1\.1" 400/);
  expect(readFileSync(real.accessLog, 'utf8')).not.toContain(marker);
});

/** A chunked POST of `size` bytes of JSON through nginx: the status and the body of the answer. */
async function chunkedPost(origin: string, size: number): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/api/sms/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('response', async (res) => {
      let body = '';
      for await (const chunk of res) body += String(chunk);
      resolve({ status: res.statusCode ?? 0, body });
    });
    // nginx may answer and close before the body is all sent: the answer is what counts.
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.write('{"phone":"');
    for (let sent = 0; sent < size; sent += 8192) req.write('1'.repeat(8192));
    req.end('"}');
  });
}

test('a chunked body over the limit is 413 through nginx: the BFF past 16 KiB, nginx past its own 1 MB', async ({
  real,
}) => {
  const over = await chunkedPost(real.origin, 20_000);
  expect([over.status, JSON.parse(over.body)]).toEqual([
    413,
    { error: { code: 'BODY_TOO_LARGE', message: '请求体过大' } },
  ]);
  expect((await chunkedPost(real.origin, 2_000_000)).status).toBe(413);
});

test('/internal/ stays unreachable through nginx, encoded slashes included', async ({ request }) => {
  const authorization = 'Bearer e2e-internal-token-0123456789abcdefghij';
  const direct = await request.post('/internal/customers/1/revoke-wechat', { headers: { authorization } });
  expect(direct.status()).toBe(404);
  // nginx chooses /api/ for this (decoded, it is /api/revoke-wechat); the BFF must not route it to /internal/.
  const encoded = await request.post('/internal/customers/..%2F..%2Fapi/revoke-wechat', {
    headers: { authorization },
  });
  expect([encoded.status(), ((await encoded.json()) as { error: { code: string } }).error.code]).toEqual([
    400,
    'BAD_REQUEST',
  ]);
});

test('the auth page gets the strict CSP at every URL that renders it, and only there', async ({ request }) => {
  const csp = async (path: string) =>
    (await request.get(path, { maxRedirects: 0 })).headers()['content-security-policy'] ?? '';
  // vue-router renders /auth for a trailing slash and in any case (its defaults: strict and sensitive off).
  for (const path of ['/auth', '/auth/', '/AUTH', '/Auth/', '/auth?code=c&state=s', '/auth/?code=c&state=s']) {
    expect([path, await csp(path)]).toEqual([path, expect.stringContaining("img-src 'self' data:; frame-src 'none';")]);
    // No JS-SDK on the auth page: its own scripts only.
    expect([path, await csp(path)]).toEqual([path, expect.stringContaining("script-src 'self'; ")]);
  }
  for (const path of ['/', '/orders', '/authority', '/auth/x']) {
    expect([path, await csp(path)]).toEqual([path, expect.stringContaining('frame-src https://open.weixin.qq.com')]);
    // The pages that may set a share card load WeChat's jweixin.
    expect([path, await csp(path)]).toEqual([path, expect.stringContaining("script-src 'self' https://res.wx.qq.com")]);
  }
});

test("/healthz and /readyz are the BFF's own answers, never the app's page; /metrics is refused", async ({
  request,
}) => {
  const healthz = await request.get('/healthz');
  expect([healthz.status(), await healthz.json()]).toEqual([200, { status: 'ok' }]);
  const readyz = await request.get('/readyz');
  expect([readyz.status(), await readyz.json()]).toEqual([200, { status: 'ready', database: 'ok', state: 'ok' }]);
  for (const path of ['/metrics', '/metrics?x=1', '/%6Detrics']) {
    const metrics = await request.get(path);
    expect([path, metrics.status(), metrics.headers()['cache-control']]).toEqual([path, 404, 'no-store']);
    expect(await metrics.text()).not.toContain('# HELP');
  }
});

/**
 * A listener on `port` that never accepts, its queue filled: the kernel drops every further SYN, as it
 * goes for a stopped container's address, which nothing answers any more (not even with a refusal).
 */
async function unansweredAddress(port: number) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer().listen({ port: ${port}, host: '127.0.0.1', backlog: 1 }, () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(child.stdout!, 'data');
  process.kill(child.pid!, 'SIGSTOP');
  const held: Socket[] = [];
  const close = () => (held.forEach((s) => s.destroy()), child.kill('SIGKILL'));
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    const made = await Promise.race([
      once(socket, 'connect').then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
    ]);
    if (!made) {
      socket.destroy();
      return { close };
    }
    held.push(socket);
    if (held.length > 8) {
      close();
      throw new Error(`port ${port} keeps accepting connections`);
    }
  }
}

test('an instance whose address stopped answering costs one request, under 2 s, POSTs included', async () => {
  test.setTimeout(60_000);
  const [spare] = await freePorts(1);
  // Each instance its own in-memory database: what is asked of them here needs nothing shared.
  const stack = await startStack({ demo: false, instances: [spare!], env: { DATABASE_URL: 'sqlite::memory:' } });
  try {
    // Before nginx has sent it anything (no connection of its own to lose), the second instance goes.
    await stack.bffs[1]!.kill('SIGKILL');
    const gone = await unansweredAddress(spare!);
    try {
      const took: number[] = [];
      for (let i = 0; i < 12; i++) {
        // POSTs too: a connection that was never made sent nothing, so nginx passes even a POST on.
        const post = i % 2 === 0;
        const started = performance.now();
        const res = await fetch(
          `${stack.origin}/api/${post ? 'auth/logout' : 'meta'}`,
          post ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } : {},
        );
        took.push(performance.now() - started);
        expect([i, res.status]).toEqual([i, post ? 204 : 200]);
      }
      // One request found the instance gone (proxy_connect_timeout 1s) and went on to the other; every
      // worker then knew (the upstream's zone) and left it out (max_fails=1 fail_timeout=30s).
      const slow = took.filter((ms) => ms > 500);
      expect(slow).toHaveLength(1);
      expect(slow[0]).toBeLessThan(2000);
    } finally {
      gone.close();
    }
    // No instance at all: /healthz says so with nginx's 502, not the app's 200 index.html.
    await stack.bffs[0]!.kill('SIGKILL');
    const down = await fetch(`${stack.origin}/healthz`);
    expect(down.status).toBe(502);
    expect(await down.text()).not.toContain('<div id="app"');
  } finally {
    await stack.stop();
  }
});
