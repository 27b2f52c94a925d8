import { domainToUnicode } from 'node:url';
import { normalizeHost, type AllowedHosts } from '../../platform/hosts.js';

export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

const refuse = (reason: string): TargetCheck => ({ ok: false, reason });

/**
 * Where the proxy may send a code: an absolute https URL (http only for localhost in demo mode) with
 * no userinfo, whose parsed, normalised host is an allowed host or a subdomain of a `.suffix` entry.
 * The raw text is checked too: browsers and the URL parser forgive tabs, newlines, backslashes and
 * missing slashes, which is how open-redirect payloads slip past naive checks.
 */
export function checkTarget(raw: unknown, allowed: AllowedHosts, demo: boolean): TargetCheck {
  if (typeof raw !== 'string' || raw === '') return refuse('redirect_uri 缺失');
  if (raw.length > 2048) return refuse('redirect_uri 过长');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(raw)) return refuse('redirect_uri 含有空白、控制字符或反斜杠');
  if (!/^https?:\/\/[^/]/i.test(raw)) return refuse('redirect_uri 须为 https:// 开头的完整地址');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('redirect_uri 不是合法的地址');
  }
  if (url.username || url.password) return refuse('redirect_uri 不能包含用户名或密码');
  const host = normalizeHost(url.hostname);
  // An IDN label that reads as a slash or a dot (evil.com∕.example.com) only exists to deceive.
  if (/[/\\.\u2215\u2044\uff0f\uff3c\u3002\uff0e\uff61\u29f8\u2216]/.test(domainToUnicode(host).split('.').join('')))
    return refuse('redirect_uri 的域名含有形似斜杠或句点的字符');
  const local = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && demo && local))
    return refuse('redirect_uri 须使用 https');
  const allowedHost = allowed.some((entry) =>
    entry.startsWith('.') ? host.endsWith(entry) && host.length > entry.length : host === entry,
  );
  if (!allowedHost) return refuse(`redirect_uri 的域名 ${host} 不在 WX_PROXY_ALLOWED_HOSTS 中`);
  return { ok: true, url };
}

/** Adds parameters to a URL's query, before any #fragment, each value encoded. */
export function withParams(target: string, params: Record<string, string>): string {
  const hashAt = target.indexOf('#');
  const base = hashAt === -1 ? target : target.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : target.slice(hashAt);
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const joiner = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${joiner}${query}${fragment}`;
}
