import { finding, type Finding, type Status, type Text } from './types.js';

/** One thing wrong within a check: how bad, why, and what to do. */
export interface Problem {
  status: 'warn' | 'fail';
  summary: Text;
  fix: Text;
}

const RANK: Record<Status, number> = { skip: 0, ok: 1, warn: 2, fail: 3 };

export const worst = (statuses: Status[]): Status =>
  statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'skip');

/** The check's finding: `good` when nothing is wrong, else every problem, the worst deciding the status. */
export function judged(id: string, good: Text, problems: Problem[], data?: Finding['data']): Finding {
  if (!problems.length) return finding(id, 'ok', good, undefined, data);
  const join = (texts: Text[], en: string, zh: string): Text => ({
    en: texts.map((t) => t.en).join(en),
    zh: texts.map((t) => t.zh).join(zh),
  });
  return finding(
    id,
    worst(problems.map((p) => p.status)),
    join(
      problems.map((p) => p.summary),
      '; ',
      '；',
    ),
    join(
      problems.map((p) => p.fix),
      ' ',
      '',
    ),
    data,
  );
}
