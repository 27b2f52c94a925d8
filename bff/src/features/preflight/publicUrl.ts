import { isIP } from 'node:net';
import type { Config, WechatApps } from '../../platform/config.js';
import { createWechatClient } from '../../adapters/wechat/client.js';
import { judged, type Problem } from './problems.js';
import { finding, type Finding } from './types.js';

const WECHAT_OPEN_BASE = 'https://open.weixin.qq.com';

/**
 * PUBLIC_URL as WeChat will judge it: the host of redirect_uri must be the 网页授权域名 exactly, with no
 * port (10003 otherwise); https for Secure cookies. Against a stand-in for WeChat (the simulator, which
 * may allow ports) a port or a bare host is only a warning: the real WeChat would refuse it.
 */
export function checkPublicUrl(config: Config, apps: WechatApps | null): Finding[] {
  const redirectUri = `${config.publicUrl}/auth`;
  const authorizeUrl = createWechatClient({
    fetch,
    openBase: apps?.openBase ?? WECHAT_OPEN_BASE,
    apiBase: '',
    timeoutMs: 0,
  }).authorizeUrl({ appid: apps?.official.appid ?? 'APPID', redirectUri, scope: 'snsapi_base', state: 'STATE' });
  const encoded = encodeURIComponent(redirectUri);
  const host = new URL(config.publicUrl).hostname;
  const data = { redirectUri, authorizeUrl, authorizationDomain: host };
  if (config.demo)
    return [
      finding(
        'public-url',
        'ok',
        {
          en: `demo mode: ${config.publicUrl}, redirect_uri=${encoded}; the simulator plays WeChat and allows http and ports`,
          zh: `演示模式：${config.publicUrl}，redirect_uri=${encoded}；模拟器充当微信，允许 http 和端口`,
        },
        undefined,
        data,
      ),
    ];
  const strict = (apps?.openBase ?? WECHAT_OPEN_BASE) === WECHAT_OPEN_BASE;
  const findings = [
    judged(
      'public-url',
      {
        en: `${config.publicUrl}: https, no port, no path; WeChat will see redirect_uri=${encoded}; 网页授权域名 must be exactly ${host}`,
        zh: `${config.publicUrl}：https、无端口、无路径；微信收到的 redirect_uri=${encoded}；网页授权域名须正好是 ${host}`,
      },
      originProblems('PUBLIC_URL', config.publicUrl, strict),
      data,
    ),
  ];
  const proxy = config.proxy.publicUrl;
  if (proxy && proxy !== config.publicUrl) {
    const proxyHost = new URL(proxy).hostname;
    findings.push(
      judged(
        'proxy-url',
        {
          en: `WX_PROXY_PUBLIC_URL ${proxy}: https, no port; its callback ${proxy}/wx-proxy/callback needs 网页授权域名 ${proxyHost}`,
          zh: `WX_PROXY_PUBLIC_URL ${proxy}：https、无端口；其回调 ${proxy}/wx-proxy/callback 要求网页授权域名为 ${proxyHost}`,
        },
        originProblems('WX_PROXY_PUBLIC_URL', proxy, strict),
        { callback: `${proxy}/wx-proxy/callback`, authorizationDomain: proxyHost },
      ),
    );
  }
  return findings;
}

/** What WeChat (strict) or its stand-in would say of an origin used as a callback. */
function originProblems(name: string, origin: string, strict: boolean): Problem[] {
  const url = new URL(origin);
  const problems: Problem[] = [];
  const against = strict ? 'fail' : 'warn';
  const standIn = strict ? '' : ' (WX_OPEN_BASE is not WeChat: the real WeChat would refuse it)';
  const standInZh = strict ? '' : '（WX_OPEN_BASE 不是微信本身：真实微信会拒绝）';
  if (url.protocol !== 'https:')
    problems.push({
      status: 'warn',
      summary: { en: `${name} is http`, zh: `${name} 是 http` },
      fix: {
        en: `Serve the site over https (TLS at nginx or in front of it) and write ${name} with https://: over http cookies are not Secure and codes travel in clear.`,
        zh: `为站点启用 https（在 nginx 或其前端终止 TLS），${name} 以 https:// 开头：http 下 Cookie 不带 Secure，授权码明文传输。`,
      },
    });
  if (url.port)
    problems.push({
      status: against,
      summary: {
        en: `${name} has port ${url.port}: WeChat answers 10003 (redirect_uri 域名与后台配置不一致) to any port but 80/443${standIn}`,
        zh: `${name} 带端口 ${url.port}：除 80/443 外带端口的 redirect_uri 微信一律报 10003${standInZh}`,
      },
      fix: {
        en: `Put nginx on 443 (or 80) and leave the port out of ${name}.`,
        zh: `让 nginx 监听 443（或 80），${name} 中不写端口。`,
      },
    });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname) || !hostname.includes('.'))
    problems.push({
      status: against,
      summary: {
        en: `${name}'s host ${url.hostname} is not a domain name: 网页授权域名 takes a registered domain only${standIn}`,
        zh: `${name} 的主机 ${url.hostname} 不是域名：网页授权域名只接受已备案的域名${standInZh}`,
      },
      fix: {
        en: `Use the domain users open (the 网页授权域名) in ${name}, e.g. https://h5.example.com.`,
        zh: `${name} 改用用户访问的域名（即网页授权域名），例如 https://h5.example.com。`,
      },
    });
  return problems;
}
