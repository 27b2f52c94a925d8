import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatClient } from '../../../adapters/wechat/client.js';
import type { WechatError } from '../../../adapters/wechat/errors.js';
import { createUpstreamFetch } from '../upstream.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A real server on loopback: what each request looked like, and on which connection it came. */
async function serve(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string; port: number }> =
    [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, port: req.socket.remotePort! });
      handle(req, body, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('the upstream fetch (node:http, kept-alive connections)', () => {
  const upstream = createUpstreamFetch();

  it('answers a GET and a POST as fetch does, on one kept-alive connection', async () => {
    const { origin, seen } = await serve((_req, body, res) => {
      res.writeHead(body ? 201 : 200, { 'content-type': 'text/plain' });
      res.end(body ? `got ${body}` : '{"errcode":0,"中文":"是"}');
    });
    const get = await upstream(`${origin}/sns/oauth2/access_token?code=a%2Bb`, {
      headers: { accept: 'application/json' },
    });
    expect([get.status, get.ok, get.headers.get('Content-Type')]).toEqual([200, true, 'text/plain']);
    expect(await get.json()).toEqual({ errcode: 0, 中文: '是' });
    const post = await upstream(`${origin}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"appid":"wx"}',
    });
    expect([post.status, await post.text()]).toEqual([201, 'got {"appid":"wx"}']);
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['GET', '/sns/oauth2/access_token?code=a%2Bb', ''],
      ['POST', '/cgi-bin/stable_token', '{"appid":"wx"}'],
    ]);
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[1]!.headers['content-type']).toBe('application/json');
    expect(seen[1]!.port).toBe(seen[0]!.port);
  });

  it('sends the request line and Host header that parsing the whole address gives, for every shape of address', async () => {
    const { origin, seen } = await serve((_req, _body, res) => res.end('{}'));
    const host = origin.slice('http://'.length);
    const paths = [
      '/sns/oauth2/access_token?appid=wx1&secret=s&code=a%2Bb&grant_type=authorization_code',
      '/cgi-bin/token?grant_type=client_credential',
      '',
      '?only=query',
      '/a/../b?x=1',
      '/a/./b',
      '/a b?c d',
      "/it's?q='x'",
      '/p?q=1#fragment',
      '/中文?名=值',
      '/pipe|and^caret?x=[1]',
      '/%zz?%41',
    ];
    const addresses = [
      ...paths.map((p) => `${origin}${p}`),
      `HTTP://${host}/upper/scheme`,
      `http://${host}?query/with/slash`,
      `http://${host}#fragment/with/slash`,
      `http://user:pa%40ss@${host}/with/credentials`,
    ];
    for (const address of addresses) await (await upstream(address)).text();
    expect(seen.map((s) => s.url)).toEqual(addresses.map((a) => new URL(a).pathname + new URL(a).search));
    for (const s of seen) expect(s.headers.host).toBe(host);
    expect(seen).toHaveLength(addresses.length);
    expect(seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('user:pa@ss').toString('base64')}`);
  });

  it('says not ok for an error status, with its body', async () => {
    const { origin } = await serve((_req, _body, res) => {
      res.writeHead(502);
      res.end('<html>bad gateway</html>');
    });
    const res = await upstream(`${origin}/x`);
    expect([res.ok, res.status, await res.text()]).toEqual([false, 502, '<html>bad gateway</html>']);
  });

  it("fails as fetch does: a refused connection's code in the cause, an abort with the signal's reason", async () => {
    const { origin } = await serve(() => undefined);
    const port = Number(new URL(origin).port);
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await upstream(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as { cause: { code: string } }).cause.code).toBe('ECONNREFUSED');

    const { origin: slow } = await serve(() => undefined);
    const reason = new Error('too slow');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 30);
    await expect(upstream(`${slow}/`, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('under the WeChat client: a timeout is WECHAT_TIMEOUT, a refused connection is safe to repeat', async () => {
    const { origin } = await serve(() => undefined);
    const client = (apiBase: string) =>
      createWechatClient({ fetch: upstream, openBase: apiBase, apiBase, timeoutMs: 50, retries: 0 });
    const slow = await client(origin)
      .exchangeCode({ appid: 'wx', secret: 's', code: 'c' })
      .catch((e: unknown) => e as WechatError);
    expect(slow).toMatchObject({ code: 'WECHAT_TIMEOUT' });
    const gone = await client('http://127.0.0.1:9')
      .exchangeCode({ appid: 'wx', secret: 's', code: 'c' })
      .catch((e: unknown) => e as WechatError);
    expect(gone).toMatchObject({ code: 'WECHAT_UNREACHABLE', notSent: true });
  });

  it("closes an idle connection a second before the server's Keep-Alive hint runs out", async () => {
    const { origin } = await serve((_req, _body, res) => {
      res.writeHead(200, { 'keep-alive': 'timeout=2' });
      res.end('{}');
    });
    const server = servers.at(-1)!;
    server.keepAliveTimeout = 60_000;
    let closedAt = 0;
    server.on('connection', (socket) => socket.on('close', () => (closedAt = performance.now())));
    const started = performance.now();
    await (await upstream(`${origin}/`)).text();
    await new Promise((r) => setTimeout(r, 2500));
    expect(closedAt).toBeGreaterThan(started + 900);
    expect(closedAt).toBeLessThan(started + 2100);
  });
});
