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
