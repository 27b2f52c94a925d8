/**
 * The desktop's rough details for the phone's eyes, from its User-Agent: which browser on which system,
 * and when it asked. Enough for a user to tell their own computer from someone else's; no version, no
 * place (an IP's place would need a database we do not have, and would often be wrong).
 */
export interface Desktop {
  browser: string;
  os: string;
}

// Order matters: Edge, Opera and the Chinese browsers all say "Chrome" too, and Chrome says "Safari".
const BROWSERS: Array<[RegExp, string]> = [
  [/MicroMessenger|WindowsWechat|MacWechat/i, '微信内置浏览器'],
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/QQBrowser/, 'QQ 浏览器'],
  [/360SE|360EE|QIHU/i, '360 浏览器'],
  [/SogouMobileBrowser|SE 2\.X MetaSr/, '搜狗浏览器'],
  [/UCBrowser|UBrowser/, 'UC 浏览器'],
  [/Firefox\/|FxiOS/, 'Firefox'],
  [/Chrome\/|CriOS|Chromium/, 'Chrome'],
  [/Safari\//, 'Safari'],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/HarmonyOS|OpenHarmony/, 'HarmonyOS'],
  [/Linux|X11/, 'Linux'],
];

const first = (table: Array<[RegExp, string]>, ua: string) => table.find(([re]) => re.test(ua))?.[1];

export function desktopOf(userAgent: string): Desktop {
  return { browser: first(BROWSERS, userAgent) ?? '未知浏览器', os: first(SYSTEMS, userAgent) ?? '未知系统' };
}
