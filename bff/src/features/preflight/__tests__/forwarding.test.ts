import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startBff, type Bff } from '../../../__tests__/harness.js';
import { ECHO_PATH } from '../echo.js';
import { checkForwarding } from '../forwarding.js';
import { routedFetch, serve } from './edges.js';

interface Front {
  /** X-Forwarded-Proto sent to the BFF: https (TLS ends here or in front, said so), or nothing. */
  proto: 'https' | null;
  /** Appends to a client's X-Forwarded-For instead of replacing it ($proxy_add_x_forwarded_for). */
  appendFor?: boolean;
  /** Adds HSTS to every answer, as nginx.conf does under https. */
  hsts?: boolean;
}

/** A reverse proxy in front of the BFF, as nginx with wxauth/proxy-headers.conf is, or a worse one. */
const front = (bff: Bff, mode: Front) =>
  serve((req, res) => {
    const remote = req.socket.remoteAddress!.replace(/^::ffff:/, '');
    const headers = { ...req.headers };
    const sent = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = mode.appendFor && sent ? `${String(sent)}, ${remote}` : remote;
    if (mode.proto) headers['x-forwarded-proto'] = mode.proto;
    else delete headers['x-forwarded-proto'];
    const upstream = httpRequest(`${bff.origin}${req.url}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode!, {
        ...answer.headers,
        ...(mode.hsts && { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }),
      });
      answer.pipe(res);
    });
    req.pipe(upstream);
  });

const check = async (bff: Bff, origin: string) =>
  Object.fromEntries(
    (
      await checkForwarding({
        config: bff.config,
        fetch: routedFetch({ 'https://h5.example.com': origin }),
        now: Date.now,
        timeoutMs: 2000,
      })
    ).map((f) => [f.id, f]),
  );

describe('behind nginx: what reaches the BFF through PUBLIC_URL', () => {
  it("nginx's way (client IP replaced, https said, HSTS) with TRUST_PROXY=loopback: ok", async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const found = await check(bff, await front(bff, { proto: 'https', hsts: true }));
    expect(found['proxy.forwarded']).toMatchObject({
      status: 'ok',
      data: { ip: '127.0.0.1', protocol: 'https', peer: '127.0.0.1' },
    });
    expect(found['proxy.hsts']!.status).toBe('ok');
  });

  it('TRUST_PROXY not listing nginx: fail, with the address to list', async () => {
    const bff = await startBff();
    const found = await check(bff, await front(bff, { proto: 'https', hsts: true }));
    expect(found['proxy.forwarded']).toMatchObject({ status: 'fail' });
    expect(found['proxy.forwarded']!.fix!.en).toContain('TRUST_PROXY=127.0.0.1');
  });

  it('http behind https (TLS ends in front without X-Forwarded-Proto): fail', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const found = await check(bff, await front(bff, { proto: null }));
    expect(found['proxy.forwarded']).toMatchObject({ status: 'fail', data: { protocol: 'http' } });
    expect(found['proxy.forwarded']!.fix!.en).toContain('X-Forwarded-Proto: https');
    expect(found['proxy.hsts']!.status).toBe('warn');
  });

  it("a proxy that appends to a client's X-Forwarded-For: ok, the BFF takes only the address the proxy added", async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const found = await check(bff, await front(bff, { proto: 'https', appendFor: true, hsts: true }));
    expect(found['proxy.forwarded']).toMatchObject({ status: 'ok' });
  });

  it('no HSTS under https: a warning', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const found = await check(bff, await front(bff, { proto: 'https' }));
    expect(found['proxy.forwarded']!.status).toBe('ok');
    expect(found['proxy.hsts']!.status).toBe('warn');
  });

  it('no proxy at all in front of a https PUBLIC_URL: fail, the BFF sees http', async () => {
    const bff = await startBff();
    const found = await check(bff, bff.origin);
    expect(found['proxy.forwarded']).toMatchObject({ status: 'fail', data: { protocol: 'http' } });
    expect(found['proxy.forwarded']!.summary.en).toContain('no proxy');
  });

  it('a BFF running with another INTERNAL_API_TOKEN: a warning saying so', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback', INTERNAL_API_TOKEN: 'x9'.repeat(20) } });
    const found = await checkForwarding({
      config: { ...bff.config, internalApiToken: 'another-token-0123456789abcdefghijkl' },
      fetch: routedFetch({ 'https://h5.example.com': await front(bff, { proto: 'https' }) }),
      now: Date.now,
      timeoutMs: 2000,
    });
    expect(found[0]).toMatchObject({ id: 'proxy.forwarded', status: 'warn' });
  });

  it('PUBLIC_URL unreachable: fail', async () => {
    const bff = await startBff();
    expect((await check(bff, 'http://127.0.0.1:1'))['proxy.forwarded']!.status).toBe('fail');
  });
});

describe('the echo', () => {
  it('without a proof it is any unknown path; an old or forged proof too', async () => {
    const bff = await startBff();
    const unknown = await fetch(`${bff.origin}/api/no-such-thing`);
    for (const proof of [undefined, '1.00', `${Math.floor(Date.now() / 1000) - 120}.${'0'.repeat(64)}`]) {
      const res = await fetch(`${bff.origin}${ECHO_PATH}`, {
        headers: proof ? { 'x-wxauth-preflight': proof } : {},
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(await unknown.clone().json());
    }
  });
});
