import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { jssdkSignature, signedUrl } from '../areas/jssdk.js';
import { OA, startSim } from './helpers.js';

const IOS_WECHAT =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN';
const ANDROID_WECHAT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';

describe('the JS-SDK signature rule (JS-SDK 附录1)', () => {
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

describe('the URL WeChat signs', () => {
  const landingUrl = 'https://h5.example.com/orders/42?from=singlemessage#top';
  const currentUrl = 'https://h5.example.com/?tab=1#x';

  it('is the landing URL in iOS WeChat, without its fragment', () => {
    expect(signedUrl({ userAgent: IOS_WECHAT, landingUrl, currentUrl })).toBe(
      'https://h5.example.com/orders/42?from=singlemessage',
    );
  });

  it('is the current URL on Android, without its fragment', () => {
    expect(signedUrl({ userAgent: ANDROID_WECHAT, landingUrl, currentUrl })).toBe('https://h5.example.com/?tab=1');
  });
});

describe('wx.config against the simulator (POST /__sim/jssdk/config)', () => {
  async function setup(extra: Parameters<typeof startSim>[0] = {}) {
    const s = await startSim(extra);
    const token = (
      await s.api('/cgi-bin/token', { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret })
    ).access_token as string;
    const ticket = (await s.api('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' })).ticket as string;
    const config = async (body: Record<string, unknown>, userAgent: string, user = 'alice') => {
      const res = await s.get('/__sim/jssdk/config', {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          'user-agent': userAgent,
          origin: 'https://h5.example.com',
          cookie: `wxsim_user=${user}`,
        },
        body: JSON.stringify(body),
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://h5.example.com');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      return (await res.json()) as { errMsg: string };
    };
    const signed = (url: string, extra: Record<string, unknown> = {}) => {
      const nonceStr = 'abcdefghijklmnop';
      const timestamp = 1795852800;
      const text = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`;
      const signature = createHash('sha1').update(text).digest('hex');
      return { appId: OA.appid, nonceStr, timestamp, signature, jsApiList: ['updateAppMessageShareData'], ...extra };
    };
    const records = async (user: string, page?: string) =>
      (await (await s.get(`/__sim/jssdk/records?${new URLSearchParams({ user, ...(page && { page }) })}`)).json()) as {
        configs: object[];
        shares: object[];
      };
    return { ...s, config, signed, records, ticket };
  }
  const landingUrl = 'https://h5.example.com/orders/42';
  const currentUrl = 'https://h5.example.com/';

  it('is ok for the landing URL on iOS and the current one on Android, invalid signature the other way', async () => {
    const { config, signed } = await setup();
    const urls = { landingUrl, currentUrl };
    expect(await config({ ...signed(landingUrl), ...urls }, IOS_WECHAT)).toEqual({ errMsg: 'config:ok' });
    expect(await config({ ...signed(currentUrl), ...urls }, IOS_WECHAT)).toEqual({
      errMsg: 'config:invalid signature',
    });
    expect(await config({ ...signed(currentUrl), ...urls }, ANDROID_WECHAT)).toEqual({ errMsg: 'config:ok' });
    expect(await config({ ...signed(landingUrl), ...urls }, ANDROID_WECHAT)).toEqual({
      errMsg: 'config:invalid signature',
    });
  });

  it('is invalid signature for another appid, another nonce, or a ticket never issued', async () => {
    const { config, signed } = await setup();
    const urls = { landingUrl, currentUrl };
    expect(await config({ ...signed(currentUrl), ...urls, nonceStr: 'other' }, ANDROID_WECHAT)).toEqual({
      errMsg: 'config:invalid signature',
    });
    const fresh = await startSim();
    const res = await fresh.get('/__sim/jssdk/config', {
      method: 'POST',
      headers: { 'user-agent': ANDROID_WECHAT },
      body: JSON.stringify({ ...signed(currentUrl), ...urls }),
    });
    expect(await res.json()).toEqual({ errMsg: 'config:invalid signature' });
  });

  it('is invalid url domain for a page outside the JS接口安全域名', async () => {
    const { config, signed } = await setup();
    const other = 'https://evil.example.net/';
    expect(await config({ ...signed(other), landingUrl: other, currentUrl: other }, ANDROID_WECHAT)).toEqual({
      errMsg: 'config:invalid url domain',
    });
  });

  it('keeps each answer for the user whose WeChat checked it, by page (GET /__sim/jssdk/records)', async () => {
    const { config, signed, records } = await setup();
    const urls = { landingUrl, currentUrl };
    await config({ ...signed(currentUrl), ...urls }, ANDROID_WECHAT, 'alice');
    await config({ ...signed(landingUrl), ...urls }, ANDROID_WECHAT, 'alice');
    expect(await records('alice')).toEqual({
      configs: [
        { page: currentUrl, url: currentUrl, errMsg: 'config:ok' },
        { page: currentUrl, url: currentUrl, errMsg: 'config:invalid signature' },
      ],
      shares: [],
    });
    expect(await records('bob')).toEqual({ configs: [], shares: [] });
    expect((await records('alice', landingUrl)).configs).toEqual([]);
  });

  it('answers 400 to a body that is not a config', async () => {
    const { get } = await setup();
    const res = await get('/__sim/jssdk/config', { method: 'POST', body: '{"appId":1}' });
    expect(res.status).toBe(400);
  });
});

describe('the share functions (POST /__sim/jssdk/share)', () => {
  const card = {
    title: '会员中心',
    desc: '微信里打开',
    link: 'https://h5.example.com/',
    imgUrl: 'https://h5.example.com/s.png',
  };
  async function share(get: (path: string, init?: RequestInit) => Promise<Response>, body: object, user = 'alice') {
    return get('/__sim/jssdk/share', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie: `wxsim_user=${user}` },
      body: JSON.stringify({ appId: OA.appid, page: 'https://h5.example.com/#/pages/home/home', ...body }),
    });
  }
  const recordsOf = async (get: (path: string) => Promise<Response>, user: string) =>
    (await (await get(`/__sim/jssdk/records?user=${user}`)).json()) as { shares: object[] };

  it("keep the card for the user, with the page it was set on; 朋友圈's card has no desc", async () => {
    const { get } = await startSim();
    expect(await (await share(get, { api: 'updateAppMessageShareData', ...card })).json()).toEqual({
      errMsg: 'updateAppMessageShareData:ok',
    });
    expect(await (await share(get, { api: 'updateTimelineShareData', ...card })).json()).toEqual({
      errMsg: 'updateTimelineShareData:ok',
    });
    const page = 'https://h5.example.com/#/pages/home/home';
    expect((await recordsOf(get, 'alice')).shares).toEqual([
      { page, api: 'updateAppMessageShareData', ...card },
      { page, api: 'updateTimelineShareData', title: card.title, link: card.link, imgUrl: card.imgUrl },
    ]);
    expect((await recordsOf(get, 'bob')).shares).toEqual([]);
  });

  it('answer permission denied for an API the account has no permission for (附录5), and keep nothing', async () => {
    const { get } = await startSim({
      apps: [{ ...OA, kind: 'official', callbackDomain: 'h5.example.com', jsApiDenied: ['updateTimelineShareData'] }],
    });
    expect(await (await share(get, { api: 'updateTimelineShareData', ...card })).json()).toEqual({
      errMsg: 'updateTimelineShareData:permission denied',
    });
    expect(await (await share(get, { api: 'updateAppMessageShareData', ...card })).json()).toEqual({
      errMsg: 'updateAppMessageShareData:ok',
    });
    expect((await recordsOf(get, 'alice')).shares).toHaveLength(1);
  });

  it('answer 400 to another API, an unknown appId or a card without its fields; records need a user id', async () => {
    const { get } = await startSim();
    expect((await share(get, { api: 'onMenuShareTimeline', ...card })).status).toBe(400);
    expect((await share(get, { api: 'updateTimelineShareData', ...card, appId: 'wx0' })).status).toBe(400);
    expect((await share(get, { api: 'updateTimelineShareData', title: 't' })).status).toBe(400);
    expect((await get('/__sim/jssdk/records')).status).toBe(400);
    expect((await get('/__sim/jssdk/records?user=a%20b')).status).toBe(400);
  });
});

describe('GET /open/js/jweixin-1.6.0.js (the stand-in for res.wx.qq.com)', () => {
  it('is a script that posts wx.config and the cards to this simulator', async () => {
    const { get, origin } = await startSim();
    const res = await get('/open/js/jweixin-1.6.0.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    const body = await res.text();
    expect(body).toContain(JSON.stringify(origin));
    expect(body).toContain('/__sim/jssdk/config');
    expect(body).toContain('/__sim/jssdk/share');
    expect(body).toContain('updateTimelineShareData');
  });
});

/**
 * The stand-in script itself, run as a page runs it: its calls go to the simulator over HTTP, with the
 * cookie and the user agent a browser would send (the e2e tests run it in Chromium through nginx).
 */
describe("the stand-in's wx, on a page", () => {
  const PAGE = 'https://h5.example.com/orders?x=1';
  async function page(extra: Parameters<typeof startSim>[0] = {}) {
    const s = await startSim(extra);
    const token = (
      await s.api('/cgi-bin/token', { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret })
    ).access_token as string;
    const ticket = (await s.api('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' })).ticket as string;
    const window: Record<string, unknown> = {
      location: { href: PAGE },
      performance: { getEntriesByType: () => [{ name: PAGE }] },
      fetch: (url: string, init: RequestInit) =>
        fetch(url, {
          ...init,
          headers: {
            ...init.headers,
            cookie: 'wxsim_user=alice',
            origin: 'https://h5.example.com',
            'user-agent': ANDROID_WECHAT,
          },
        }),
    };
    window.window = window;
    runInNewContext(await (await s.get('/open/js/jweixin-1.6.0.js')).text(), window);
    type Res = { errMsg: string };
    const wx = window.wx as {
      config(o: object): void;
      ready(f: () => void): void;
      error(f: (r: Res) => void): void;
    } & Record<string, (o: object) => void>;
    const call = (name: string, o: object = {}) =>
      new Promise<Res>((resolve) => wx[name]!({ ...o, success: resolve, fail: resolve }));
    const configure = (jsApiList: string[], url = PAGE) => {
      const nonceStr = 'n0nce';
      const timestamp = 1795852800;
      const text = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`;
      const signature = createHash('sha1').update(text).digest('hex');
      wx.config({ appId: OA.appid, nonceStr, timestamp, signature, jsApiList });
      return new Promise<string>((resolve) => {
        wx.ready(() => resolve('config:ok'));
        wx.error((r) => resolve(r.errMsg));
      });
    };
    return { ...s, wx, call, configure };
  }
  const card = { title: 't', desc: 'd', link: PAGE, imgUrl: 'https://h5.example.com/s.png' };

  it('the permission value is offline verifying: before wx.config passes, or for an API not in jsApiList', async () => {
    const { call, configure } = await page();
    expect(await call('updateAppMessageShareData', card)).toEqual({
      errMsg: 'updateAppMessageShareData:fail, the permission value is offline verifying',
    });
    expect(await configure(['updateAppMessageShareData'])).toBe('config:ok');
    expect(await call('updateTimelineShareData', card)).toEqual({
      errMsg: 'updateTimelineShareData:fail, the permission value is offline verifying',
    });
    expect(await call('updateAppMessageShareData', card)).toEqual({ errMsg: 'updateAppMessageShareData:ok' });
  });

  it('after a failed config (invalid signature) every call is offline verifying', async () => {
    const { call, configure } = await page();
    expect(await configure(['updateAppMessageShareData'], 'https://h5.example.com/')).toBe('config:invalid signature');
    expect((await call('updateAppMessageShareData', card)).errMsg).toBe(
      'updateAppMessageShareData:fail, the permission value is offline verifying',
    );
  });

  it('permission denied: config passes, the API the account lacks fails, and the card is not kept', async () => {
    const { call, configure, get } = await page({
      apps: [{ ...OA, kind: 'official', callbackDomain: 'h5.example.com', jsApiDenied: ['updateAppMessageShareData'] }],
    });
    expect(await configure(['updateAppMessageShareData'])).toBe('config:ok');
    expect(await call('updateAppMessageShareData', card)).toEqual({
      errMsg: 'updateAppMessageShareData:permission denied',
    });
    expect(await (await get('/__sim/jssdk/records?user=alice')).json()).toEqual({
      configs: [{ page: PAGE, url: PAGE, errMsg: 'config:ok' }],
      shares: [],
    });
  });
});
