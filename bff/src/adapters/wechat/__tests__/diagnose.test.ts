import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulator, type SimApp } from '@wxauth/wechat-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../../scripts/servers.mjs';
import { createUpstreamFetch } from '../../../platform/http/upstream.js';
import { createWechatClient } from '../client.js';
import { refusedCredential } from '../errors.js';

// diagnose: one request as the client's own call sends it, answered with what WeChat said (the raw
// errcode and errmsg), what the call would have thrown, and the answer's status and Date; through the
// simulator, over the BFF's upstream fetch.

const OFFICIAL = { appid: 'wx0123456789abcdef', secret: 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6' };
const WEBSITE = { appid: 'wxfedcba9876543210', secret: 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4' };

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The simulator as WeChat, with the apps as WeChat knows them; a client on it, and the calls it got. */
async function onSimulator(official: Partial<SimApp> = {}, observed: string[] = []) {
  const sim = createSimulator({
    apps: [
      { ...OFFICIAL, kind: 'official', callbackDomain: 'h5.example.com', ...official },
      { ...WEBSITE, kind: 'website', callbackDomain: 'h5.example.com' },
    ],
  });
  const running = await sim.listen();
  closers.push(running.close);
  const api = running.origin;
  const client = createWechatClient({
    fetch: createUpstreamFetch(),
    openBase: api,
    apiBase: api,
    timeoutMs: 2000,
    observe: (endpoint) => observed.push(endpoint),
  });
  const calls = async () =>
    ((await (await fetch(`${api}/__sim/stats`)).json()) as { calls: Record<string, number> }).calls;
  const fault = (body: object) => fetch(`${api}/__sim/faults`, { method: 'POST', body: JSON.stringify(body) });
  return { client, api, calls, fault };
}

describe("the WeChat client's diagnose", () => {
  it('stable_token with right credentials: the token, status 200 and the Date header; normal mode', async () => {
    const { client, calls } = await onSimulator();
    const found = await client.diagnose('stableToken', OFFICIAL);
    expect(found.error).toBeUndefined();
    expect(found.reply?.access_token).toEqual(expect.any(String));
    expect(found.status).toBe(200);
    expect(Date.parse(found.date!)).not.toBeNaN();
    // The same request stableToken sends: asked again, WeChat hands back the same token.
    expect((await client.stableToken(OFFICIAL)).access_token).toBe(found.reply!.access_token);
    expect(await calls()).toMatchObject({ '/cgi-bin/stable_token': 2 });
  });

  it("a wrong secret: WeChat's errcode and errmsg, mapped as the call would throw it; the secret in neither", async () => {
    const { client } = await onSimulator({ secret: 'theSecretWeChatHas00000000000000' });
    const found = await client.diagnose('stableToken', OFFICIAL);
    expect(found.error).toMatchObject({ code: 'WECHAT_MISCONFIGURED', errcode: 40125 });
    expect(found.reply).toMatchObject({ errcode: 40125, errmsg: expect.stringContaining('invalid appsecret') });
    expect(refusedCredential(found.error!)).toBe('secret');
    expect(JSON.stringify({ ...found, stack: found.error!.stack })).not.toContain(OFFICIAL.secret);
  });

  it('an unknown appid and an egress IP off the allowlist say which credential WeChat refused', async () => {
    const unknown = await onSimulator({ appid: 'wx9999999999999999' });
    const appid = await unknown.client.diagnose('stableToken', OFFICIAL);
    expect(appid.error).toMatchObject({ errcode: 40013 });
    expect(refusedCredential(appid.error!)).toBe('appid');

    const allowlisted = await onSimulator({ ipWhitelist: ['203.0.113.10'] });
    const ip = await allowlisted.client.diagnose('stableToken', OFFICIAL);
    expect(ip.error).toMatchObject({ code: 'WECHAT_MISCONFIGURED', errcode: 40164 });
    expect(refusedCredential(ip.error!)).toBe('ip');
    // WeChat's own words carry the address it saw.
    expect(ip.reply?.errmsg).toContain('invalid ip 127.0.0.1');
  });

  it('40001 names the secret on a call that sends it, and the access_token elsewhere', async () => {
    const { client, fault } = await onSimulator();
    await fault({ path: '/cgi-bin/token', errcode: 40001 });
    const token = await client.diagnose('accessToken', OFFICIAL);
    expect(token.error).toMatchObject({ errcode: 40001, endpoint: '/cgi-bin/token' });
    expect(refusedCredential(token.error!)).toBe('secret');
    const ticket = await client.diagnose('jsapiTicket', { accessToken: 'notATokenWeChatGaveOut' });
    expect(ticket.error).toMatchObject({ code: 'WECHAT_TOKEN_INVALID', errcode: 40001 });
    expect(refusedCredential(ticket.error!)).toBeUndefined();
  });

  it('a code exchange with a made-up code: the code is all WeChat refused (40029)', async () => {
    const { client } = await onSimulator();
    const found = await client.diagnose('exchangeCode', { ...WEBSITE, code: 'wxauthpreflight0123456789abcdef' });
    expect(found.error).toMatchObject({ code: 'CODE_INVALID', errcode: 40029, endpoint: '/sns/oauth2/access_token' });
    expect(refusedCredential(found.error!)).toBeUndefined();
  });

  it('getticket with the token: the jsapi_ticket; 48001 is the scope the account lacks', async () => {
    const { client, fault } = await onSimulator();
    const { access_token } = await client.stableToken(OFFICIAL);
    const found = await client.diagnose('jsapiTicket', { accessToken: access_token });
    expect(found.error).toBeUndefined();
    expect(found.reply?.ticket).toEqual(expect.any(String));
    await fault({ path: '/cgi-bin/ticket/getticket', errcode: 48001 });
    expect((await client.diagnose('jsapiTicket', { accessToken: access_token })).error).toMatchObject({
      code: 'WECHAT_SCOPE_DENIED',
      errcode: 48001,
    });
  });

  it('asks once, busy or not, and is not counted in the metrics: it is not a call the BFF made', async () => {
    const observed: string[] = [];
    const { client, calls, fault } = await onSimulator({}, observed);
    await fault({ path: '/cgi-bin/stable_token', errcode: -1, times: 3 });
    const found = await client.diagnose('stableToken', OFFICIAL);
    expect(found.error).toMatchObject({ code: 'WECHAT_BUSY', errcode: -1 });
    expect(await calls()).toEqual({ '/cgi-bin/stable_token': 1 });
    expect(observed).toEqual([]);
  });

  it('an HTTP error: its status, no reply', async () => {
    const { client, fault } = await onSimulator();
    await fault({ path: '/cgi-bin/stable_token', status: 502 });
    const found = await client.diagnose('stableToken', OFFICIAL);
    expect(found).toMatchObject({ status: 502, error: { code: 'WECHAT_UNAVAILABLE' } });
    expect(found.reply).toBeUndefined();
    expect(Date.parse(found.date!)).not.toBeNaN();
  });

  it('a reply that is not JSON: WECHAT_BAD_REPLY, no reply', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createWechatClient({ fetch: createUpstreamFetch(), openBase: api, apiBase: api, timeoutMs: 2000 });
    const found = await client.diagnose('stableToken', OFFICIAL);
    expect(found).toMatchObject({ status: 200, error: { code: 'WECHAT_BAD_REPLY' } });
    expect(found.reply).toBeUndefined();
  });

  it("unreachable: the system's reason, no status; a timeout: WECHAT_TIMEOUT", async () => {
    const port = await freePort();
    const nowhere = `http://127.0.0.1:${port}`;
    const client = createWechatClient({
      fetch: createUpstreamFetch(),
      openBase: nowhere,
      apiBase: nowhere,
      timeoutMs: 2000,
    });
    const refused = await client.diagnose('stableToken', OFFICIAL);
    expect(refused).toMatchObject({ cause: 'ECONNREFUSED', error: { code: 'WECHAT_UNREACHABLE' } });
    expect(refused.status).toBeUndefined();

    const { api, fault } = await onSimulator();
    await fault({ path: '/cgi-bin/stable_token', delayMs: 500 });
    const slow = createWechatClient({ fetch: createUpstreamFetch(), openBase: api, apiBase: api, timeoutMs: 100 });
    const late = await slow.diagnose('stableToken', OFFICIAL);
    expect(late.error).toMatchObject({ code: 'WECHAT_TIMEOUT' });
    expect(late.status).toBeUndefined();
  });
});
