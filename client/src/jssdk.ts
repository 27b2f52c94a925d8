import type { JssdkConfig } from '@wxauth/contract';
import { landingUrl } from './callback.js';

/** WeChat's script, at the address its JS-SDK document gives (步骤二：引入JS文件). */
export const JWEIXIN_URL = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';

/** A share card: what the friend sees in the chat or in 朋友圈. */
export interface ShareCard {
  title: string;
  desc: string;
  /** The page to open: its domain must be a JS接口安全域名 of the Official Account. */
  link: string;
  /** An absolute https picture. */
  imgUrl: string;
}

interface WxCallbacks {
  success?: () => void;
  fail?: (res: { errMsg: string }) => void;
}

/** The part of WeChat's `wx` object this client uses. */
export interface Wx {
  config(options: JssdkConfig & { debug?: boolean; jsApiList: string[] }): void;
  ready(fn: () => void): void;
  error(fn: (res: { errMsg: string }) => void): void;
  updateAppMessageShareData(options: ShareCard & WxCallbacks): void;
  updateTimelineShareData(options: Omit<ShareCard, 'desc'> & WxCallbacks): void;
}

/** wx.config or a JS-SDK call failed: `errMsg` is WeChat's own (`config:invalid signature`, …). */
export class JssdkError extends Error {
  constructor(readonly errMsg: string) {
    super(errMsg);
    this.name = 'JssdkError';
  }
}

export interface JssdkOptions {
  /** The BFF's signer: createClient()'s jssdkConfig. */
  client: { jssdkConfig(url: string): Promise<JssdkConfig> };
  /** The APIs the page will call, e.g. ['updateAppMessageShareData', 'updateTimelineShareData']. */
  jsApiList: string[];
  /** Where jweixin comes from: WeChat's in production; the demo's simulator says its own (/api/meta). */
  scriptUrl?: string;
}

const loading = new Map<string, Promise<Wx>>();

/** Adds jweixin's <script> once per address; a failed load may be tried again. */
function loadJweixin(src: string): Promise<Wx> {
  let promise = loading.get(src);
  if (!promise) {
    promise = new Promise<Wx>((resolve, reject) => {
      const script = document.createElement('script');
      // As a browser treats an inserted script anyway: it never blocks the page.
      script.async = true;
      script.src = src;
      script.onload = () => {
        const wx = (window as unknown as { wx?: Wx }).wx;
        if (wx) resolve(wx);
        else reject(new JssdkError('jweixin:not loaded'));
      };
      script.onerror = () => reject(new JssdkError('jweixin:not loaded'));
      document.head.appendChild(script);
    });
    promise.catch(() => loading.delete(src));
    loading.set(src, promise);
  }
  return promise;
}

/** iOS WeChat (WKWebView) checks wx.config against the URL the page was entered with. */
export function isIosWechat(userAgent: string): boolean {
  return /MicroMessenger/i.test(userAgent) && /\b(iPhone|iPad|iPod)\b/.test(userAgent);
}

/**
 * The URL to sign, without its #fragment: on iOS the landing URL (captureCallback keeps it, before it
 * tidies the address), elsewhere the current one. JS-SDK 附录5 (invalid signature): the page's full URL.
 */
export function signatureUrl(userAgent = navigator.userAgent, current = location.href): string {
  return (isIosWechat(userAgent) ? (landingUrl() ?? current) : current).split('#')[0]!;
}

/**
 * Loads jweixin once, signs the right URL at the BFF, calls wx.config with `jsApiList`, and resolves
 * with `wx` on wx.ready; rejects with a JssdkError carrying WeChat's errMsg on wx.error. Call it again
 * after the SPA changes the address (Android signs the current URL).
 */
export async function wechatJssdk({ client, jsApiList, scriptUrl = JWEIXIN_URL }: JssdkOptions): Promise<Wx> {
  const [wx, config] = await Promise.all([loadJweixin(scriptUrl), client.jssdkConfig(signatureUrl())]);
  return new Promise<Wx>((resolve, reject) => {
    // WeChat's order (步骤三, 步骤四): config first, then ready/error, which wait for this config's check.
    wx.config({ ...config, jsApiList });
    wx.ready(() => resolve(wx));
    wx.error((res) => reject(new JssdkError(res.errMsg)));
  });
}

/** Sets the card for sharing to a friend and to 朋友圈 (both APIs must be in jsApiList). */
export function setShareCard(wx: Wx, card: ShareCard): Promise<void> {
  const call = (fn: (o: WxCallbacks) => void) =>
    new Promise<void>((resolve, reject) => fn({ success: resolve, fail: (res) => reject(new JssdkError(res.errMsg)) }));
  const { title, link, imgUrl } = card;
  return Promise.all([
    call((cb) => wx.updateAppMessageShareData({ ...card, ...cb })),
    call((cb) => wx.updateTimelineShareData({ title, link, imgUrl, ...cb })),
  ]).then(() => undefined);
}
