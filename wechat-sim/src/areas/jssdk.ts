import { createHash } from 'node:crypto';
import { json, readJson } from '../http.js';
import type { Call, Routes } from '../route.js';
import { currentUser, USER_ID } from '../rules/index.js';

// Behaviours follow WeChat's JS-SDK document (微信JS-SDK说明文档,
// https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html): 附录1 (the signature) and
// 附录5 常见错误及解决方法 (the errors and their causes). The errMsg values are WeChat's own as its clients
// report them: `config:invalid signature`, `config:invalid url domain`, `<api>:permission denied`,
// `<api>:fail, the permission value is offline verifying`.

/** 附录1: sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the url without its #fragment. */
export function jssdkSignature(p: { ticket: string; nonceStr: string; timestamp: number | string; url: string }) {
  const text = `jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${p.url}`;
  return createHash('sha1').update(text).digest('hex');
}

/** WeChat's in-app browser on an iPhone or iPad. */
export function isIosWechat(userAgent: string): boolean {
  return /MicroMessenger/i.test(userAgent) && /\b(iPhone|iPad|iPod)\b/.test(userAgent);
}

/**
 * The URL WeChat checks the signature against. 附录5 (invalid signature): the url is the page's full URL
 * without the #hash; iOS WeChat takes the URL the page was entered with in this webview (history.pushState
 * and replaceState since do not change it), Android the current one.
 */
export function signedUrl(p: { userAgent: string; landingUrl: string; currentUrl: string }): string {
  return (isIosWechat(p.userAgent) ? p.landingUrl : p.currentUrl).split('#')[0]!;
}

interface ConfigBody {
  appId: string;
  timestamp: number | string;
  nonceStr: string;
  signature: string;
  landingUrl: string;
  currentUrl: string;
}

function parseConfig(body: unknown): ConfigBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const strings = ['appId', 'nonceStr', 'signature', 'landingUrl', 'currentUrl'] as const;
  if (!strings.every((k) => typeof b[k] === 'string')) return undefined;
  if (typeof b.timestamp !== 'number' && typeof b.timestamp !== 'string') return undefined;
  return b as unknown as ConfigBody;
}

/** The share functions the stand-in has (JS-SDK 1.4.0 and later), and whether their card has a desc. */
const SHARE_APIS: Record<string, { desc: boolean }> = {
  updateAppMessageShareData: { desc: true },
  updateTimelineShareData: { desc: false },
};

interface ShareBody {
  appId: string;
  api: string;
  page: string;
  title: string;
  desc?: string;
  link: string;
  imgUrl: string;
}

function parseShare(body: unknown): ShareBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const strings = ['appId', 'api', 'page', 'title', 'link', 'imgUrl'] as const;
  if (!strings.every((k) => typeof b[k] === 'string')) return undefined;
  if (!Object.hasOwn(SHARE_APIS, b.api as string)) return undefined;
  if (b.desc !== undefined && typeof b.desc !== 'string') return undefined;
  return b as unknown as ShareBody;
}

/**
 * The page's origin may read the answer, with the simulator's cookie (the simulated user) sent along:
 * the stand-in script calls from the H5 app's pages, as WeChat's script talks to the WeChat it runs in.
 */
function allowOrigin(call: Call): void {
  const origin = call.req.headers.origin;
  call.res.setHeader('Vary', 'Origin');
  if (!origin) return;
  call.res.setHeader('Access-Control-Allow-Origin', origin);
  call.res.setHeader('Access-Control-Allow-Credentials', 'true');
}

/** The simulated WeChat user the page runs for: the simulator's cookie, never a query parameter here. */
const userOf = (call: Call) => currentUser(call.req, new URLSearchParams(), call.res);

/**
 * POST /__sim/jssdk/config: what WeChat's client checks when a page calls wx.config. The stand-in script
 * posts the config with both URLs (text/plain, so no preflight); the user agent decides which is signed.
 * The answer is kept for the user (GET /__sim/jssdk/records).
 */
async function config(call: Call): Promise<void> {
  const { rules, req, res } = call;
  allowOrigin(call);
  const body = parseConfig(await readJson(req));
  if (!body)
    return json(res, 400, { error: 'expected {appId, timestamp, nonceStr, signature, landingUrl, currentUrl}' });
  const url = signedUrl({ userAgent: req.headers['user-agent'] ?? '', ...body });
  const errMsg = check(rules, body, url);
  rules.recordJssdk(userOf(call), { type: 'config', page: body.currentUrl, url, errMsg });
  json(res, 200, { errMsg });
}

function check(rules: Call['rules'], body: ConfigBody, url: string): string {
  const app = rules.apps.get(body.appId);
  // 附录5 invalid url domain: the page's domain is not one of the app's JS接口安全域名 (80 and 443 only).
  if (!app || !rules.jsDomainAllowed(url, app)) return 'config:invalid url domain';
  // 附录5 invalid signature: the signature must be over the app's current jsapi_ticket, the config's own
  // nonceStr and timestamp, and the URL above; an app that never asked for a ticket has none to match.
  const ticket = rules.currentTicket.get(app.appid);
  const live = ticket !== undefined && (rules.tickets.get(ticket)?.expiresAt ?? 0) > rules.now();
  const expected = live ? jssdkSignature({ ticket, nonceStr: body.nonceStr, timestamp: body.timestamp, url }) : null;
  return expected === body.signature ? 'config:ok' : 'config:invalid signature';
}

/**
 * POST /__sim/jssdk/share: a share function called after wx.ready with the API in jsApiList (the script
 * checks that much itself). 附录5 permission denied: the account has no permission for the API (接口权限;
 * the share APIs need a verified account); else the card is kept for the user and the call is ok.
 */
async function share(call: Call): Promise<void> {
  const { rules, req, res } = call;
  allowOrigin(call);
  const body = parseShare(await readJson(req));
  if (!body) return json(res, 400, { error: 'expected {appId, api, page, title, desc?, link, imgUrl}' });
  const app = rules.apps.get(body.appId);
  if (!app) return json(res, 400, { error: 'unknown appId' });
  if (app.jsApiDenied?.includes(body.api)) return json(res, 200, { errMsg: `${body.api}:permission denied` });
  const { api, page, title, desc, link, imgUrl } = body;
  const card = SHARE_APIS[api]!.desc ? { title, desc: desc ?? '', link, imgUrl } : { title, link, imgUrl };
  rules.recordJssdk(userOf(call), { type: 'share', page, api, ...card });
  json(res, 200, { errMsg: `${api}:ok` });
}

/**
 * GET /__sim/jssdk/records?user=…[&page=…]: what the user's pages did through the stand-in, oldest first —
 * `configs` (the page, the URL checked, WeChat's errMsg) and `shares` (the cards set) — for tests to read
 * from WeChat's side rather than from the page.
 */
function records({ rules, res, url }: Call): void {
  const user = url.searchParams.get('user') ?? '';
  if (!USER_ID.test(user)) return json(res, 400, { error: 'expected ?user=<a simulated user id>' });
  const page = url.searchParams.get('page');
  const mine = rules.jssdkRecords(user).filter((r) => page === null || r.page === page);
  const configs = mine.flatMap(({ type, ...r }) => (type === 'config' ? [r] : []));
  const shares = mine.flatMap(({ type, ...r }) => (type === 'share' ? [r] : []));
  json(res, 200, { configs, shares });
}

/** GET /open/js/jweixin-1.6.0.js: the stand-in for res.wx.qq.com's script, at the same path. */
function script({ req, res }: Call): void {
  res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(jweixin(`http://${req.headers.host ?? '127.0.0.1'}`));
}

/**
 * The page's side: `wx` with config/ready/error and the two share functions. The landing URL is the
 * document's own navigation entry (the URL it was loaded with, whatever pushState did since). Each call
 * goes to the simulator with its cookie, which checks it and keeps what it did for the user.
 */
function jweixin(origin: string): string {
  return `(function () {
  'use strict';
  var state = 'none', appId = null, apis = [], readyFns = [], errorFns = [], failure = null;
  function landing() {
    var nav = performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    return nav && nav.name ? nav.name : location.href;
  }
  function post(path, body) {
    return fetch(${JSON.stringify(origin)} + path, {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : { errMsg: 'fail' }; });
  }
  function settle(errMsg) {
    var ready = readyFns.splice(0), errors = errorFns.splice(0);
    if (errMsg === 'config:ok') {
      state = 'ready';
      ready.forEach(function (f) { f(); });
    } else {
      state = 'failed';
      failure = { errMsg: errMsg };
      errors.forEach(function (f) { f(failure); });
    }
  }
  function done(o, res) {
    if (/:ok$/.test(res.errMsg)) { if (o.success) o.success(res); }
    else if (o.fail) o.fail(res);
    if (o.complete) o.complete(res);
  }
  function share(name, withDesc) {
    return function (o) {
      o = o || {};
      // 附录5 the permission value is offline verifying: config has not passed (yet), or the API is not
      // in jsApiList (call it in wx.ready). WeChat's clients report it as "<api>:fail, …".
      if (state !== 'ready' || apis.indexOf(name) === -1)
        return done(o, { errMsg: name + ':fail, the permission value is offline verifying' });
      var card = { appId: appId, api: name, page: location.href, title: o.title, link: o.link, imgUrl: o.imgUrl };
      if (withDesc) card.desc = o.desc;
      post('/__sim/jssdk/share', card).then(function (res) {
        done(o, res.errMsg === 'fail' ? { errMsg: name + ':fail' } : res);
      }, function () { done(o, { errMsg: name + ':fail' }); });
    };
  }
  window.wx = window.jWeixin = {
    config: function (c) {
      // A new config (an SPA's next page) is checked afresh: ready/error wait for its answer.
      apis = (c && c.jsApiList) || [];
      appId = c.appId;
      state = 'verifying';
      failure = null;
      post('/__sim/jssdk/config', { appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr,
          signature: c.signature, landingUrl: landing(), currentUrl: location.href })
        .then(function (a) { settle(a.errMsg === 'fail' ? 'config:fail' : a.errMsg); },
          function () { settle('config:fail'); });
    },
    ready: function (f) { if (state === 'ready') f(); else readyFns.push(f); },
    error: function (f) { if (failure) f(failure); else errorFns.push(f); },
    updateAppMessageShareData: share('updateAppMessageShareData', true),
    updateTimelineShareData: share('updateTimelineShareData', false)
  };
})();
`;
}

/** The page-facing part of the JS-SDK: WeChat's own script's path. */
export const jssdkScript: Routes = {
  'GET /open/js/jweixin-1.6.0.js': script,
};

/** A page may ask first (some browsers preflight every cross-origin call). */
function preflight(call: Call): void {
  allowOrigin(call);
  call.res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type' });
  call.res.end();
}

/** What WeChat's client does for the page, as simulator controls (not WeChat server APIs). */
export const jssdkControls: Routes = {
  'POST /__sim/jssdk/config': config,
  'OPTIONS /__sim/jssdk/config': preflight,
  'POST /__sim/jssdk/share': share,
  'OPTIONS /__sim/jssdk/share': preflight,
  'GET /__sim/jssdk/records': records,
};
