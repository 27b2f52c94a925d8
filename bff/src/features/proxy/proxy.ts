import { createHash } from 'node:crypto';
import { STATE_PATTERN } from '@wxauth/contract';
import type { Config, WechatApps } from '../../platform/config.js';
import { createProxyRecords } from './records.js';
import { checkTarget, withParams } from './target.js';
import type { Kv } from '../../adapters/kv/types.js';
import { timeOrderedAlnum, type Random } from '../../platform/random.js';
import type { WechatClient } from '../../adapters/wechat/client.js';

const MOBILE_SCOPES = ['snsapi_base', 'snsapi_userinfo'];
const PC_SCOPES = ['snsapi_login', ...MOBILE_SCOPES];
const LINK_PARAMS = ['appid', 'redirect_uri', 'response_type', 'scope', 'state', 'device'];
const BROWSER_TOKEN = /^[A-Za-z0-9_-]{22,64}$/;

/** Where the browser goes next, or the reason it goes nowhere (shown on a page). */
export type ProxyAnswer = { redirect: string } | { refused: string };
type Query = Record<string, string | string[] | undefined>;

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? undefined : value);

/**
 * The authorization proxy: accepts php_weixin_proxy's links (appid, redirect_uri, response_type,
 * scope, state, device) on the one callback domain WeChat allows, and relays the code to a subdomain
 * that WX_PROXY_ALLOWED_HOSTS names. The target waits in a single-use server-side record keyed by the
 * state sent to WeChat, tied to the browser that started it.
 */
export function createProxy(deps: {
  config: Pick<Config, 'proxy' | 'demo'>;
  apps: WechatApps;
  kv: Kv;
  random: Random;
  wechat: WechatClient;
}) {
  const { config, apps, random, wechat } = deps;
  const records = createProxyRecords(deps.kv);

  /** Why a link cannot be followed, or null when it can. */
  function refusal(q: Query): string | null {
    if (LINK_PARAMS.some((n) => Array.isArray(q[n]))) return '参数重复：每个参数只能出现一次';
    const pc = q.device === 'pc';
    const appid = one(q.appid);
    const scope = one(q.scope) ?? (pc ? 'snsapi_login' : 'snsapi_base');
    const callerState = one(q.state);
    if (!appid) return '缺少 appid';
    if (appid !== (pc ? apps.website?.appid : apps.official.appid))
      return `appid ${appid} 不是本代理配置的${pc ? '网站应用（device=pc）' : '公众号'} appid`;
    if ((one(q.response_type) ?? 'code') !== 'code') return 'response_type 只能是 code';
    if (!(pc ? PC_SCOPES : MOBILE_SCOPES).includes(scope))
      return `scope ${scope} 不受支持：手机端用 snsapi_base 或 snsapi_userinfo`;
    // eslint-disable-next-line no-control-regex
    if (callerState !== undefined && (callerState.length > 1024 || /[\u0000-\u001f\u007f]/.test(callerState)))
      return 'state 过长或含有控制字符';
    const target = checkTarget(one(q.redirect_uri), config.proxy.allowedHosts, config.demo);
    return target.ok ? null : target.reason;
  }

  return {
    /**
     * A link to follow. `origin` is the proxy's public origin (its callback goes there); `browser` the
     * token the browser holds, if any. Answers where to go and the token the browser must hold.
     */
    async start(p: { query: Query; origin: string; browser?: string }): Promise<ProxyAnswer & { browser?: string }> {
      const refused = refusal(p.query);
      if (refused) return { refused };
      const q = p.query;
      const pc = q.device === 'pc';
      const appid = one(q.appid)!;
      const scope = one(q.scope) ?? (pc ? 'snsapi_login' : 'snsapi_base');
      const browser = p.browser && BROWSER_TOKEN.test(p.browser) ? p.browser : random.token(16);
      // Sorted by time, as the login's own states are: each record is filed beside the last one.
      const state = timeOrderedAlnum(random, Date.now(), 32);
      await records.save(state, {
        target: one(q.redirect_uri)!,
        callerState: one(q.state) ?? null,
        browser: digest(browser),
      });
      const redirectUri = `${p.origin}/wx-proxy/callback`;
      const redirect = pc
        ? wechat.qrconnectUrl({ appid, redirectUri, state })
        : wechat.authorizeUrl({ appid, redirectUri, scope: scope as 'snsapi_base' | 'snsapi_userinfo', state });
      return { redirect, browser };
    },

    /** WeChat's callback: the code (or a refusal) relayed to the record's target, once. */
    async finish(p: { query: Query; browser?: string }): Promise<ProxyAnswer> {
      const state = one(p.query.state);
      const code = one(p.query.code);
      if (!state || !STATE_PATTERN.test(state) || Array.isArray(p.query.code))
        return { refused: '授权回调缺少有效的 state' };
      const expired = { refused: '授权链接已失效或已使用，请返回原网站重新登录' };
      const pending = await records.peek(state);
      if (!pending) return expired;
      // Only the browser that started it may finish it; a callback carried to another one is refused,
      // and the record stays for its own browser.
      if (!p.browser || digest(p.browser) !== pending.browser)
        return { refused: '请在发起登录的同一个浏览器中完成授权，请返回原网站重新登录' };
      const record = await records.take(state);
      if (!record) return expired;
      // A refusal (state, no code) is relayed too, with the caller's state alone.
      const params: Record<string, string> = {};
      if (code) params.code = code;
      if (record.callerState !== null) params.state = record.callerState;
      return { redirect: Object.keys(params).length ? withParams(record.target, params) : record.target };
    },
  };
}

export type Proxy = ReturnType<typeof createProxy>;
