import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { json, readJson } from '../http.js';
import type { Call, Routes } from '../route.js';

// Behaviours follow WeChat's JS-SDK document (微信JS-SDK说明文档), 附录1 (the signature) and
// 附录5 常见错误及解决方法 (the errMsg values and their causes).

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

/** The page's origin may read the answer: the stand-in script calls from the H5 app's pages. */
function allowOrigin(call: Call): void {
  const origin = call.req.headers.origin;
  if (origin) call.res.setHeader('Access-Control-Allow-Origin', origin);
}

/**
 * POST /__sim/jssdk/config: what WeChat's client checks when a page calls wx.config. The stand-in script
 * posts the config with both URLs (text/plain, so no preflight); the user agent decides which is signed.
 */
async function config(call: Call): Promise<void> {
  const { rules, req, res } = call;
  allowOrigin(call);
  const body = parseConfig(await readJson(req));
  if (!body)
    return json(res, 400, { error: 'expected {appId, timestamp, nonceStr, signature, landingUrl, currentUrl}' });
  const url = signedUrl({ userAgent: req.headers['user-agent'] ?? '', ...body });
  const app = rules.apps.get(body.appId);
  // 附录5 invalid url domain: the page's domain is not one of the app's JS接口安全域名 (80 and 443 only).
  if (!app || !rules.jsDomainAllowed(url, app)) return answer(res, 'config:invalid url domain');
  // 附录5 invalid signature: the signature must be over the app's current jsapi_ticket, the config's own
  // nonceStr and timestamp, and the URL above; an app that never asked for a ticket has none to match.
  const ticket = rules.currentTicket.get(app.appid);
  const live = ticket !== undefined && (rules.tickets.get(ticket)?.expiresAt ?? 0) > rules.now();
  const expected = live ? jssdkSignature({ ticket, nonceStr: body.nonceStr, timestamp: body.timestamp, url }) : null;
  answer(res, expected === body.signature ? 'config:ok' : 'config:invalid signature');
}

function answer(res: ServerResponse, errMsg: string): void {
  json(res, 200, { errMsg });
}

/** GET /open/js/jweixin-1.6.0.js: the stand-in for res.wx.qq.com's script, at the same path. */
function script({ req, res }: Call): void {
  res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.end(jweixin(`http://${req.headers.host ?? '127.0.0.1'}`));
}

/**
 * The page's side: `wx` with config/ready/error and the two share functions. The landing URL is the
 * document's own navigation entry (the URL it was loaded with, whatever pushState did since). Cards are
 * recorded on window.__wxsim.shares for tests.
 */
function jweixin(origin: string): string {
  return `(function () {
  'use strict';
  var sim = (window.__wxsim = window.__wxsim || { shares: [], configs: [] });
  var state = 'none', apis = [], readyFns = [], errorFns = [], failure = null;
  function landing() {
    var nav = performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    return nav && nav.name ? nav.name : location.href;
  }
  function settle(errMsg) {
    sim.configs.push(errMsg);
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
  function share(name, kind) {
    return function (o) {
      o = o || {};
      // 附录5 the permission value is offline verifying: config has not passed yet, or the API is not in
      // jsApiList (call it in wx.ready).
      if (state !== 'ready' || apis.indexOf(name) === -1) {
        var err = { errMsg: name + ':the permission value is offline verifying' };
        if (o.fail) o.fail(err);
        if (o.complete) o.complete(err);
        return;
      }
      sim.shares.push({ kind: kind, title: o.title, desc: o.desc, link: o.link, imgUrl: o.imgUrl });
      var ok = { errMsg: name + ':ok' };
      if (o.success) o.success(ok);
      if (o.complete) o.complete(ok);
    };
  }
  window.wx = window.jWeixin = {
    config: function (c) {
      // A new config (an SPA's next page) is checked afresh: ready/error wait for its answer.
      apis = (c && c.jsApiList) || [];
      state = 'verifying';
      failure = null;
      fetch(${JSON.stringify(`${origin}/__sim/jssdk/config`)}, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr,
          signature: c.signature, landingUrl: landing(), currentUrl: location.href })
      }).then(function (r) { return r.ok ? r.json() : { errMsg: 'config:fail' }; })
        .then(function (a) { settle(a.errMsg); }, function () { settle('config:fail'); });
    },
    ready: function (f) { if (state === 'ready') f(); else readyFns.push(f); },
    error: function (f) { if (failure) f(failure); else errorFns.push(f); },
    updateAppMessageShareData: share('updateAppMessageShareData', 'appMessage'),
    updateTimelineShareData: share('updateTimelineShareData', 'timeline')
  };
})();
`;
}

/** The page-facing part of the JS-SDK: WeChat's own script's path. */
export const jssdkScript: Routes = {
  'GET /open/js/jweixin-1.6.0.js': script,
};

/** The check WeChat's client makes, as a simulator control (not a WeChat server API). */
export const jssdkControls: Routes = {
  'POST /__sim/jssdk/config': config,
  // A page may ask first (some browsers preflight every cross-origin call).
  'OPTIONS /__sim/jssdk/config': (call) => {
    allowOrigin(call);
    call.res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type' });
    call.res.end();
  },
};
