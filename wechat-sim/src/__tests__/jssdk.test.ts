import { createHash } from 'node:crypto';
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
  async function setup() {
    const s = await startSim();
    const token = (
      await s.api('/cgi-bin/token', { grant_type: 'client_credential', appid: OA.appid, secret: OA.secret })
    ).access_token as string;
    const ticket = (await s.api('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' })).ticket as string;
    const config = async (body: Record<string, unknown>, userAgent: string) => {
      const res = await s.get('/__sim/jssdk/config', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': userAgent, origin: 'https://h5.example.com' },
        body: JSON.stringify(body),
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://h5.example.com');
      return (await res.json()) as { errMsg: string };
    };
    const signed = (url: string, extra: Record<string, unknown> = {}) => {
      const nonceStr = 'abcdefghijklmnop';
      const timestamp = 1795852800;
      const text = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`;
      const signature = createHash('sha1').update(text).digest('hex');
      return { appId: OA.appid, nonceStr, timestamp, signature, jsApiList: ['updateAppMessageShareData'], ...extra };
    };
    return { ...s, config, signed };
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

  it('answers 400 to a body that is not a config', async () => {
    const { get } = await setup();
    const res = await get('/__sim/jssdk/config', { method: 'POST', body: '{"appId":1}' });
    expect(res.status).toBe(400);
  });
});

describe('GET /open/js/jweixin-1.6.0.js (the stand-in for res.wx.qq.com)', () => {
  it('is a script that posts wx.config to this simulator', async () => {
    const { get, origin } = await startSim();
    const res = await get('/open/js/jweixin-1.6.0.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    const body = await res.text();
    expect(body).toContain(`${origin}/__sim/jssdk/config`);
    expect(body).toContain('updateTimelineShareData');
  });
});
