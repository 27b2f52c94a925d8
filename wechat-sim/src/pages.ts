const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>body{font-family:system-ui,sans-serif;margin:0;padding:32px 20px;text-align:center;color:#111}
.sim{font-size:12px;color:#888}.err{color:#e64340}button{font-size:17px;padding:10px 0;width:100%;margin:8px 0;border-radius:8px;border:0}
.ok{background:#07c160;color:#fff}.no{background:#f2f2f2;color:#07c160}.name{display:inline-block}</style></head>
<body><p class="sim">wechat-sim（模拟微信）</p>${body}</body></html>`;
}

const hiddenFields = (hidden: Record<string, string>) =>
  Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');

/** WeChat shows authorization errors as a page, not JSON: 错误码 and a sentence. */
export function errorPage(errcode: number | null, message: string): string {
  const code = errcode === null ? '' : `<p>错误码：<b data-errcode="${errcode}">${errcode}</b></p>`;
  return page('授权失败', `<h2 class="err">Oops! Something went wrong:(</h2>${code}<p>${escapeHtml(message)}</p>`);
}

export function consentPage(appName: string, hidden: Record<string, string>): string {
  const fields = hiddenFields(hidden);
  return page(
    '微信授权',
    `<h2>${escapeHtml(appName)}</h2><p>申请获得你的昵称、头像</p>
<form method="post" action="/connect/oauth2/authorize/confirm">${fields}
<button class="ok" name="decision" value="allow">允许</button>
<button class="no" name="decision" value="deny">拒绝</button></form>`,
  );
}

/** WeChat's green speech bubble, small: served at /favicon.ico, where browsers look for it unasked. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#07c160"/><ellipse cx="16" cy="15" rx="10" ry="8" fill="#fff"/><path d="M10 21l-1 5 5-3z" fill="#fff"/></svg>';

export function avatarSvg(user: string): string {
  const hue = [...user].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
  const letter = escapeHtml(user.slice(0, 1).toUpperCase() || '?');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132"><rect width="132" height="132" fill="hsl(${hue},55%,55%)"/><text x="66" y="86" font-size="60" text-anchor="middle" fill="#fff" font-family="sans-serif">${letter}</text></svg>`;
}

/** The PC QR login page: a stand-in QR and the action a phone would take after scanning it. */
export function qrconnectPage(appName: string, hidden: Record<string, string>, top = false): string {
  const fields = hiddenFields(hidden);
  // The app's name (span.name, inline-block) goes to the next line whole, never split mid-word.
  return page(
    '微信登录',
    `<h2>微信登录</h2><p>使用微信扫一扫登录<span class="name">「${escapeHtml(appName)}」</span></p>
<svg width="180" height="180" role="img" aria-label="登录二维码（模拟）"><rect width="180" height="180" fill="#fff" stroke="#ccc"/><text x="90" y="95" text-anchor="middle" font-size="14">模拟二维码</text></svg>
<form method="post" action="/connect/qrconnect/confirm"${top ? ' target="_top"' : ''}>${fields}
<button class="ok">模拟扫码并确认登录</button></form>`,
  );
}

/** A text message as WeChat shows it: its `<a href>` links and bare http(s) addresses clickable, the rest as text. */
function messageHtml(content: string): string {
  const link = (href: string, text: string) =>
    /^https?:\/\//i.test(href) ? `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : escapeHtml(text);
  const bare = (text: string) =>
    text
      .split(/(https?:\/\/[^\s<>"]+)/i)
      .map((part, i) => (i % 2 ? link(part, part) : escapeHtml(part)))
      .join('');
  return content
    .split(/(<a\s+href="[^"]*"\s*>[\s\S]*?<\/a>)/i)
    .map((part, i) => {
      if (!(i % 2)) return bare(part);
      const m = /^<a\s+href="([^"]*)"\s*>([\s\S]*?)<\/a>$/i.exec(part)!;
      return link(m[1]!, m[2]!);
    })
    .join('')
    .replaceAll('\n', '<br>');
}

/** The user's chat with an Official Account, as the phone shows it; it looks again every 2 seconds. */
export function chatPage(
  account: string,
  user: string,
  lines: Array<{ from: string; msgType: string; content: string }>,
) {
  const items = lines
    .map(
      (l) =>
        `<li class="${l.from === 'user' ? 'me' : l.msgType === 'system' ? 'sys' : 'them'}" data-from="${escapeHtml(l.from)}">${messageHtml(l.content)}</li>`,
    )
    .join('');
  return page(
    account,
    `<meta http-equiv="refresh" content="2"><style>ul{list-style:none;padding:0;text-align:left;max-width:420px;margin:0 auto}
li{margin:8px 0;padding:10px 12px;border-radius:8px;max-width:80%;word-break:break-all}.them{background:#f2f2f2}
.me{background:#95ec69;margin-left:auto}.sys{color:#888;font-size:13px;text-align:center;max-width:none}</style>
<h2>${escapeHtml(account)}</h2><p class="sim">${escapeHtml(user)} 与公众号的聊天</p>
<ul aria-label="聊天记录">${items || '<li class="sys">还没有消息</li>'}</ul>`,
  );
}

/** What a scanned parametric code opens: follow (or enter) the account as this browser's user; null: a dead code. */
export function scanPage(scan: { account: string; user: string; ticket: string; appid: string } | null): string {
  if (!scan) return page('二维码已失效', '<h2 class="err">二维码已过期或无效</h2>');
  return page(
    '扫码',
    `<h2>${escapeHtml(scan.account)}</h2><p>以模拟用户 <b>${escapeHtml(scan.user)}</b> 扫码</p>
<form method="post" action="/q/scan">${hiddenFields({ appid: scan.appid, ticket: scan.ticket, user: scan.user })}
<button class="ok">模拟扫码（未关注的用户将关注公众号）</button></form>`,
  );
}
