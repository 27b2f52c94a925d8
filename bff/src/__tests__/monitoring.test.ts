import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createMetrics } from '../platform/metrics.js';
import { startBff } from './harness.js';

/**
 * deploy/: the Prometheus alerting rules and the Grafana dashboard. Prometheus's own promtool (Debian's
 * `prometheus` package, installed by scripts/ensure-system-deps.sh) checks and unit-tests the rules and
 * parses every expression; every metric an expression names must be one the BFF exports.
 */

const run = promisify(execFile);
const deploy = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const rulesFile = join(deploy, 'prometheus/wxauth-rules.yml');
const testFile = join(deploy, 'prometheus/wxauth-rules.test.yml');
const dashboardFile = join(deploy, 'grafana/wxauth-dashboard.json');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = async (): Promise<Rule[]> =>
  (parse(await readFile(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  gridPos?: object;
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
}
const dashboard = async () => JSON.parse(await readFile(dashboardFile, 'utf8')) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** The dashboard's PromQL: each target's, and each query variable's (label_values(<selector>, label)). */
async function dashboardExpressions(): Promise<string[]> {
  const d = await dashboard();
  const targets = allPanels(d.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
  const variables = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => (typeof v.query === 'string' ? v.query : v.query.query))
    .map((q) => /^label_values\((.*),\s*\w+\)$/.exec(q)?.[1] ?? q);
  return [...targets, ...variables];
}

/** Grafana's variables as Prometheus would see them once Grafana filled them in. */
const asPromql = (expr: string) =>
  expr.replaceAll(/\$__(rate_interval|interval|range)\b/g, '5m').replaceAll(/\$\{?(instance|flow)\}?/g, '.+');

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/** The metric names an expression selects: what is left once strings, matchers, ranges, label lists and functions are taken out. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replaceAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replaceAll(/\{[^}]*\}/g, ' ')
    .replaceAll(/\[[^\]]*\]/g, ' ')
    .replaceAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.:$])[a-zA-Z_:][\w:]*/g)) {
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (
      bare
        .slice(m.index + m[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every name a scrape of the BFF can hold: from its exposition (# TYPE and samples) and from the registry. */
async function exportedNames(text: string): Promise<Set<string>> {
  const names = new Set<string>(['up']); // Prometheus's own, one per scrape target
  const add = (name: string, type: string) => {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  };
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) add(name!, type!);
  for (const [, name] of text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) names.add(name!);
  for (const m of await createMetrics().registry.getMetricsAsJSON()) add(m.name, String(m.type));
  return names;
}

describe('deploy/prometheus/wxauth-rules.yml', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes promtool test rules: each alert fires on the series that should fire it, and only then', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', testFile]);
    expect(stdout).toContain('SUCCESS');
    // Every alert is tested.
    const tested = new Set(
      (
        parse(await readFile(testFile, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> }
      ).tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
    );
    for (const r of await rules()) expect(tested, `${r.alert} has no promtool test`).toContain(r.alert);
  });

  it('gives each alert a severity, a summary, a description and a runbook link into docs/guide/running.md', async () => {
    const page = await readFile(fileURLToPath(new URL('../../../docs/guide/running.md', import.meta.url)), 'utf8');
    // VitePress's anchors: a heading's text, lowercased, runs of other characters as one hyphen.
    const anchors = new Set(
      [...page.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replaceAll(/[^\p{L}\p{N}]+/gu, '-')
          .replaceAll(/^-|-$/g, ''),
      ),
    );
    const alerts = (await rules()).filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const r of alerts) {
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      const [path, anchor] = (r.annotations?.runbook_url ?? '').split('#');
      expect(path, r.alert).toBe('docs/guide/running.md');
      expect(anchors, `${r.alert}: no heading for #${anchor} in running.md`).toContain(anchor);
      expect(anchor).toBe(r.alert!.toLowerCase());
    }
  });
});

describe('deploy/grafana/wxauth-dashboard.json', () => {
  it('is a dashboard Grafana imports: a uid, a schemaVersion, panels with PromQL targets on the chosen Prometheus', async () => {
    const d = await dashboard();
    expect(d.uid).toBe('wxauth');
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance', 'flow']);
    const panels = allPanels(d.panels).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(15);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr, p.title).toBeTruthy();
        expect(t.refId, p.title).toMatch(/^[A-Z]$/);
      }
    }
    const titles = panels.map((p) => p.title).join('\n');
    for (const topic of [/funnel/i, /errors by code/i, /latency/i, /events/i, /instance/i])
      expect(titles).toMatch(topic);
  });
});

describe('every expression of the rules and the dashboard', () => {
  it('parses (promtool) and names only metrics the BFF exports, read from a real scrape after a login', async () => {
    const bff = await startBff();
    const browser = bff.browser();
    await browser.loginAndBind('monitoring', '13800138000', bff.inbox);
    const scrape = await (await fetch(`${bff.origin}/metrics`)).text();
    const exported = await exportedNames(scrape);
    expect(exported).toContain('wxauth_login_funnel_total');

    const expressions = [...(await rules()).map((r) => r.expr), ...(await dashboardExpressions()).map(asPromql)];
    expect(expressions.length).toBeGreaterThan(30);

    const dir = await mkdtemp(join(tmpdir(), 'wxauth-promql-'));
    try {
      const file = join(dir, 'expressions.yml');
      const asRules = {
        groups: [{ name: 'parse', rules: expressions.map((expr) => ({ record: 'parse:expr', expr })) }],
      };
      await writeFile(file, stringify(asRules));
      await run('promtool', ['check', 'rules', file]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const unknown = expressions.flatMap((e) =>
      metricNames(e)
        .filter((n) => !exported.has(n))
        .map((n) => `${n} in ${e}`),
    );
    expect(unknown).toEqual([]);
    // And the check itself catches a name the BFF does not export.
    expect(metricNames('sum by (le) (rate(wxauth_no_such_thing_bucket{a="b"}[5m])) > bool 0 and on() up')).toEqual([
      'wxauth_no_such_thing_bucket',
      'up',
    ]);
  });
});
