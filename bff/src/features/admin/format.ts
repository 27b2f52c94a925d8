/** How the admin command prints: times in UTC as `--since` takes them, and plain-text tables. */

export const iso = (t: number | null | undefined): string | null =>
  t === null || t === undefined || t <= 0 ? null : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Columns a terminal shows Chinese characters in: two each. */
const width = (text: string) =>
  [...text].reduce(
    (n, ch) =>
      n +
      (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch)
        ? 2
        : 1),
    0,
  );

/** A table: a header line, then one line per row, columns padded; an empty cell shows as `-`. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** `--since`: an ISO 8601 time (`2026-12-01`, `2026-12-01T08:00:00Z`) or a span back from now (`30m`, `24h`, `7d`). */
export function parseSince(text: string, now: number): number | null {
  const span = /^(\d+)([mhd])$/.exec(text);
  if (span) return now - Number(span[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd'];
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}
