/**
 * A time as a user in China reads it, in Beijing time whatever the zone of the machine showing it:
 * 12 月 7 日 14:05. The account's reply in WeChat (the BFF) and the confirm page (the H5 app) say the same.
 */
export function chinaTime(ms: number): string {
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('month')} 月 ${part('day')} 日 ${part('hour')}:${part('minute')}`;
}
