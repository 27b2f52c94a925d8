import { createSimulator, type SimApp } from '@wxauth/wechat-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../../scripts/servers.mjs';
import { createWechatClient } from '../../../adapters/wechat/client.js';
import type { WechatApps } from '../../../platform/config.js';
import { createUpstreamFetch } from '../../../platform/http/upstream.js';
import { checkWechat } from '../wechat.js';
import { APP, WEBSITE } from './env.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The simulator as WeChat, with the apps as WeChat knows them (their secrets, their IP allowlists). */
async function wechat(registered: Partial<SimApp> = {}, website: Partial<SimApp> = {}) {
  const sim = createSimulator({
    apps: [
      { ...APP, kind: 'official', callbackDomain: 'h5.example.com', ...registered },
      { ...WEBSITE, kind: 'website', callbackDomain: 'h5.example.com', ...website },
    ],
  });
  const running = await sim.listen();
  closers.push(running.close);
  return running.origin;
}

const apps = (apiBase: string, over: Partial<WechatApps> = {}): WechatApps => ({
  official: APP,
  website: WEBSITE,
  openBase: 'https://open.weixin.qq.com',
  apiBase,
  ...over,
});
/** Preflight's WeChat checks through the adapter, built as the BFF builds it. */
const run = (a: WechatApps | null, now = Date.now, timeoutMs = 2000) =>
  checkWechat({
    apps: a,
    wechat: a && createWechatClient({ fetch: createUpstreamFetch(), ...a, timeoutMs }),
    now,
    timeoutMs,
  });
const byId = async (a: WechatApps | null, now?: () => number, timeoutMs?: number) =>
  Object.fromEntries((await run(a, now, timeoutMs)).map((f) => [f.id, f]));
const fault = (api: string, body: object) =>
  fetch(`${api}/__sim/faults`, { method: 'POST', body: JSON.stringify(body) });

describe('the mini program (WX_MINIPROGRAM_*)', () => {
  const MP = { appid: 'wx00112233445566ff', secret: '00112233445566ff00112233445566ff' };
  /** The simulator with a mini program too, registered with `secret`. */
  async function withMiniProgram(secret = MP.secret) {
    const sim = createSimulator({
      apps: [
        { ...APP, kind: 'official', callbackDomain: 'h5.example.com' },
        { ...MP, secret, kind: 'miniprogram' },
      ],
    });
    const running = await sim.listen();
    closers.push(running.close);
    return apps(running.origin, { website: null, miniprogram: MP });
  }

  it('right credentials: ok, by one stable_token call', async () => {
    const found = await byId(await withMiniProgram());
    expect(found['wechat.miniprogram']!.status).toBe('ok');
  });

  it('a wrong secret fails, naming WX_MINIPROGRAM_APPSECRET', async () => {
    const found = await byId(await withMiniProgram('another-secret'));
    expect(found['wechat.miniprogram']).toMatchObject({ status: 'fail', data: { errcode: 40125 } });
    expect(found['wechat.miniprogram']!.fix!.en).toContain('WX_MINIPROGRAM_APPSECRET');
  });
});

describe('WeChat: one stable_token call, its meaning', () => {
  it('right credentials: a token (normal mode), a jsapi_ticket, the website app, the clock: all ok', async () => {
    const found = await byId(apps(await wechat()));
    expect(Object.fromEntries(Object.entries(found).map(([id, f]) => [id, f.status]))).toEqual({
      'wechat.official': 'ok',
      'wechat.website': 'ok',
      'wechat.miniprogram': 'skip',
      'jssdk.ticket': 'ok',
      clock: 'ok',
    });
  });

  it('normal mode: the token the running servers hold stays the current one', async () => {
    const api = await wechat();
    const stable = () =>
      fetch(`${api}/cgi-bin/stable_token`, {
        method: 'POST',
        body: JSON.stringify({ grant_type: 'client_credential', appid: APP.appid, secret: APP.secret }),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
    const held = await stable();
    await run(apps(api));
    expect((await stable()).access_token).toBe(held.access_token);
  });

  it('40013: WeChat does not know the appid', async () => {
    const found = await byId(apps(await wechat({ appid: 'wx9999999999999999' })));
    expect(found['wechat.official']).toMatchObject({ status: 'fail', data: { errcode: 40013 } });
    expect(found['wechat.official']!.summary.en).toContain(APP.appid);
    expect(found['wechat.official']!.fix!.zh).toContain('WX_APPID');
    expect(found['jssdk.ticket']!.status).toBe('skip');
  });

  it('40125: a wrong secret, never shown', async () => {
    const found = await byId(apps(await wechat({ secret: 'theSecretWeChatHas00000000000000' })));
    expect(found['wechat.official']).toMatchObject({ status: 'fail', data: { errcode: 40125 } });
    expect(found['wechat.official']!.fix!.en).toContain('WX_APPSECRET');
    expect(JSON.stringify(found)).not.toContain(APP.secret);
  });

  it("40164: this server's egress IP is not whitelisted; the IP WeChat saw is printed", async () => {
    const found = await byId(apps(await wechat({ ipWhitelist: ['203.0.113.10'] })));
    expect(found['wechat.official']).toMatchObject({ status: 'fail', data: { errcode: 40164, ip: '127.0.0.1' } });
    expect(found['wechat.official']!.summary.en).toContain('127.0.0.1');
    expect(found['wechat.official']!.fix!.zh).toContain('IP白名单');
  });

  it('the website app: a wrong secret is 40125 on the code exchange (tried with a made-up code)', async () => {
    const found = await byId(apps(await wechat({}, { secret: 'theSecretWeChatHas00000000000000' })));
    expect(found['wechat.official']!.status).toBe('ok');
    expect(found['wechat.website']).toMatchObject({ status: 'fail', data: { errcode: 40125 } });
    expect(found['wechat.website']!.fix!.en).toContain('WX_WEBSITE_APPSECRET');
  });

  it('a website app without its secret cannot be checked: skipped, saying why', async () => {
    const found = await byId(apps(await wechat(), { website: { appid: WEBSITE.appid, secret: null } }));
    expect(found['wechat.website']!.status).toBe('skip');
  });

  it('WeChat unreachable: fail, naming the host and the reason, never the URL with the secret', async () => {
    const port = await freePort();
    const found = await byId(apps(`http://127.0.0.1:${port}`));
    expect(found['wechat.official']!.status).toBe('fail');
    expect(found['wechat.official']!.summary.en).toContain(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(JSON.stringify(found)).not.toContain(APP.secret);
    expect(found.clock!.status).toBe('skip');
  });

  it('no jsapi_ticket (48001, the account lacks the JS-SDK): fail', async () => {
    const api = await wechat();
    await fetch(`${api}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ path: '/cgi-bin/ticket/getticket', errcode: 48001 }),
    });
    expect((await byId(apps(api)))['jssdk.ticket']).toMatchObject({ status: 'fail', data: { errcode: 48001 } });
  });

  it.each([
    [0, 'ok'],
    [30_000, 'warn'],
    [-600_000, 'fail'],
  ])("clock: %d ms off WeChat's Date header is %s", async (offset, status) => {
    const found = await byId(apps(await wechat()), () => Date.now() + offset);
    expect(found.clock!.status).toBe(status);
  });

  it('WeChat busy (-1): a warning to run again, not a verdict on the credentials', async () => {
    const api = await wechat();
    await fault(api, { path: '/cgi-bin/stable_token', errcode: -1 });
    const found = await byId(apps(api));
    expect(found['wechat.official']).toMatchObject({ status: 'warn', data: { errcode: -1 } });
    expect(found['wechat.official']!.summary.en).toBe('WeChat is busy (-1): the credentials could not be checked');
  });

  it("an HTTP error from WeChat: fail with its status; the clock still read from the answer's Date", async () => {
    const api = await wechat();
    await fault(api, { path: '/cgi-bin/stable_token', status: 502 });
    const found = await byId(apps(api));
    expect(found['wechat.official']!.summary.en).toBe(`${api} answered HTTP 502`);
    expect(found['wechat.official']!.status).toBe('fail');
    expect(found.clock!.status).toBe('ok');
  });

  it('no answer in time: fail, saying how long it waited', async () => {
    const api = await wechat();
    await fault(api, { path: '/cgi-bin/stable_token', delayMs: 600 });
    const found = await byId(apps(api), undefined, 200);
    expect(found['wechat.official']!.summary.en).toBe(`cannot reach ${api}: no answer within 200 ms`);
    expect(found.clock!.status).toBe('skip');
  });

  it('the website app: an unknown appid is 40013, naming WX_WEBSITE_APPID', async () => {
    const found = await byId(apps(await wechat({}, { appid: 'wx9999999999999999' })));
    expect(found['wechat.website']).toMatchObject({ status: 'fail', data: { errcode: 40013 } });
    expect(found['wechat.website']!.fix!.en).toContain('WX_WEBSITE_APPID');
  });

  it("another errcode on getticket: fail, WeChat's words without the request id", async () => {
    const api = await wechat();
    await fault(api, { path: '/cgi-bin/ticket/getticket', errcode: 45009 });
    const found = await byId(apps(api));
    expect(found['jssdk.ticket']).toMatchObject({ status: 'fail', data: { errcode: 45009 } });
    expect(found['jssdk.ticket']!.summary.en).toBe('no jsapi_ticket: WeChat answered 45009 (injected fault)');
    expect(found['jssdk.ticket']!.fix!.en).toBe("Look errcode 45009 up in WeChat's 全局返回码.");
  });

  it('apps unknown (a demo on PORT=0): every WeChat check is skipped', async () => {
    expect((await run(null)).every((f) => f.status === 'skip')).toBe(true);
  });
});
