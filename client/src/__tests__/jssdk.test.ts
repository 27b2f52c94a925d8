// @vitest-environment happy-dom
import { createHash } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { createSimulator } from '@wxauth/wechat-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCallback, isIosWechat, JssdkError, setShareCard, signatureUrl, wechatJssdk } from '../index.js';

const IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36 MicroMessenger/8.0.47';
/** happy-dom's handle on the page (the test environment's, not a DOM API). */
const happyDOM = () =>
  (window as unknown as { happyDOM: { setURL(url: string): void; settings: Record<string, unknown> } }).happyDOM;
const APP = { appid: 'wx1111111111111111', secret: 'oa-secret' };
/** An account without the share APIs' permission (an unverified subscription account, say). */
const UNVERIFIED = { appid: 'wx4444444444444444', secret: 'unverified-secret' };

describe('the URL to sign', () => {
  it('is the landing URL captureCallback kept on iOS WeChat, the current one elsewhere, without #', () => {
    const loc = {
      href: 'https://h5.example.com/auth?code=C&state=S#wechat_redirect',
      pathname: '/auth',
      search: '?code=C&state=S',
      hash: '#wechat_redirect',
    };
    captureCallback({ location: loc, history: { state: null, replaceState: () => undefined } });
    const current = 'https://h5.example.com/orders/42?tab=1#top';
    expect(isIosWechat(IOS)).toBe(true);
    expect(signatureUrl(IOS, current)).toBe('https://h5.example.com/auth?code=C&state=S');
    expect(signatureUrl(ANDROID, current)).toBe('https://h5.example.com/orders/42?tab=1');
    // A second capture (another mount) does not move the landing URL: the webview's first URL stays.
    captureCallback({
      location: { ...loc, href: 'https://h5.example.com/other' },
      history: { state: null, replaceState: () => undefined },
    });
    expect(signatureUrl(IOS, current)).toBe('https://h5.example.com/auth?code=C&state=S');
  });
});

describe('wechatJssdk against the simulator’s jweixin', () => {
  let sim: { origin: string; close(): Promise<void> };
  let ticket = '';
  let unverifiedTicket = '';
  let q: (p: string) => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    // Plain http pages: the simulator listens on http, and an https page may not load its script.
    // The page loads and runs the simulator's script, as WeChat's browser would (happy-dom's default is not to).
    Object.assign(happyDOM().settings, { disableJavaScriptFileLoading: false, enableJavaScriptEvaluation: true });
    sim = await createSimulator({
      apps: [
        { ...APP, kind: 'official', callbackDomain: 'h5.example.com' },
        {
          ...UNVERIFIED,
          kind: 'official',
          callbackDomain: 'h5.example.com',
          jsApiDenied: ['updateAppMessageShareData', 'updateTimelineShareData'],
        },
      ],
    }).listen();
    // Node's own HTTP, not the page's fetch: this is the BFF's side, with no CORS.
    q = (p: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) =>
        get(sim.origin + p, (res: IncomingMessage) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
        }).on('error', reject),
      );
    const ticketOf = async (app: typeof APP) => {
      const { access_token } = await q(
        `/cgi-bin/token?grant_type=client_credential&appid=${app.appid}&secret=${app.secret}`,
      );
      return (await q(`/cgi-bin/ticket/getticket?access_token=${access_token as string}&type=jsapi`)).ticket as string;
    };
    ticket = await ticketOf(APP);
    unverifiedTicket = await ticketOf(UNVERIFIED);
  });
  afterAll(() => sim.close());

  /** The BFF's part, by WeChat's rule (附录1), over `signAs` when given: a wrong URL to prove failure. */
  const signer = (signAs?: string, app = APP) => ({
    asked: [] as string[],
    async jssdkConfig(url: string) {
      this.asked.push(url);
      const nonceStr = 'abcdefghijklmnop';
      const timestamp = 1795852800;
      const appTicket = app === APP ? ticket : unverifiedTicket;
      const text = `jsapi_ticket=${appTicket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${signAs ?? url}`;
      return { appId: app.appid, nonceStr, timestamp, signature: createHash('sha1').update(text).digest('hex') };
    },
  });
  const jsApiList = ['updateAppMessageShareData', 'updateTimelineShareData'];
  const scriptUrl = () => `${sim.origin}/open/js/jweixin-1.6.0.js`;

  it('loads jweixin once, signs the current URL off iOS, resolves on ready, and sets the card', async () => {
    happyDOM().setURL('http://h5.example.com/orders/42?tab=1#top');
    const client = signer();
    const wx = await wechatJssdk({ client, jsApiList, scriptUrl: scriptUrl() });
    await wechatJssdk({ client, jsApiList, scriptUrl: scriptUrl() });
    expect(document.querySelectorAll('script[src$="jweixin-1.6.0.js"]')).toHaveLength(1);
    expect(client.asked).toEqual(['http://h5.example.com/orders/42?tab=1', 'http://h5.example.com/orders/42?tab=1']);
    const card = {
      title: '订单',
      desc: '看看',
      link: 'https://h5.example.com/orders/42',
      imgUrl: 'https://h5.example.com/icon.png',
    };
    await setShareCard(wx, card);
    // WeChat's side keeps the card for the simulated user (no wxsim_user cookie here: the default one).
    const page = 'http://h5.example.com/orders/42?tab=1#top';
    expect((await q('/__sim/jssdk/records?user=demo')).shares).toEqual([
      { page, api: 'updateAppMessageShareData', ...card },
      { page, api: 'updateTimelineShareData', title: card.title, link: card.link, imgUrl: card.imgUrl },
    ]);
  });

  it("rejects the card with WeChat's permission denied when the account lacks the share APIs", async () => {
    happyDOM().setURL('http://h5.example.com/orders/7');
    const wx = await wechatJssdk({ client: signer(undefined, UNVERIFIED), jsApiList, scriptUrl: scriptUrl() });
    const card = {
      title: 't',
      desc: 'd',
      link: 'https://h5.example.com/orders/7',
      imgUrl: 'https://h5.example.com/i.png',
    };
    const failure = setShareCard(wx, card);
    await expect(failure).rejects.toBeInstanceOf(JssdkError);
    await expect(failure).rejects.toMatchObject({ errMsg: 'updateAppMessageShareData:permission denied' });
  });

  it("rejects with WeChat's errMsg as a JssdkError when the signature is over another URL", async () => {
    happyDOM().setURL('http://h5.example.com/orders/42');
    const failure = wechatJssdk({ client: signer('http://h5.example.com/'), jsApiList, scriptUrl: scriptUrl() });
    await expect(failure).rejects.toBeInstanceOf(JssdkError);
    await expect(failure).rejects.toMatchObject({ errMsg: 'config:invalid signature' });
  });

  it('rejects with invalid url domain for a page outside the JS接口安全域名', async () => {
    happyDOM().setURL('http://elsewhere.example.net/');
    await expect(wechatJssdk({ client: signer(), jsApiList, scriptUrl: scriptUrl() })).rejects.toMatchObject({
      errMsg: 'config:invalid url domain',
    });
  });
});
