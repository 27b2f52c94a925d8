import type { Report, Status } from './types.js';

const LABEL: Record<Status, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

/**
 * The report for a person: one line per check (its status, its name, what was found), and under a
 * warning or a failure the cause in Chinese, then the fix in English and in Chinese; a total at the end.
 */
export function formatReport(report: Report): string {
  const width = Math.max(...report.checks.map((c) => c.id.length)) + 2;
  const indent = ' '.repeat(6 + width);
  const mode = {
    real: 'real mode · 正式模式',
    demo: 'demo mode · 演示模式',
    invalid: 'invalid configuration · 配置无效',
  };
  const lines = [`wxauth preflight · ${mode[report.mode]}${report.publicUrl ? ` · ${report.publicUrl}` : ''}`, ''];
  for (const check of report.checks) {
    lines.push(`${LABEL[check.status]}  ${check.id.padEnd(width)}${check.summary.en}`);
    if (check.status === 'warn' || check.status === 'fail') {
      lines.push(`${indent}${check.summary.zh}`);
      if (check.fix) lines.push(`${indent}fix: ${check.fix.en}`, `${indent}修复：${check.fix.zh}`);
    }
  }
  const { ok, warn, fail, skip } = report.counts;
  lines.push(
    '',
    `${fail} failed, ${warn} warning${warn === 1 ? '' : 's'}, ${ok} ok, ${skip} skipped: ${
      report.ok ? 'nothing stops users from logging in' : 'fix the failures before users find them'
    }`,
    `${fail} 项失败、${warn} 项警告、${ok} 项通过、${skip} 项跳过：${report.ok ? '没有阻止用户登录的问题' : '请在用户遇到之前修复失败项'}`,
    '',
  );
  return lines.join('\n');
}
