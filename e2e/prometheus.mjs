// A real Prometheus (Debian's `prometheus` package) for the e2e tests: it scrapes BFF instances on
// loopback every second, with the repository's alerting rules loaded, on a free port of its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, ROOT } from './stack.mjs';

export const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/**
 * @param {{ targets: string[] }} options `host:port` of each BFF, scraped as the job "wxauth" (the rules' name).
 */
export async function startPrometheus({ targets }) {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  // JSON is YAML: the configuration as docs/guide/running.md gives it, faster.
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(ROOT, 'deploy/prometheus/wxauth-rules.yml')],
      scrape_configs: [{ job_name: 'wxauth', static_configs: [{ targets }] }],
    }),
  );
  let log = '';
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((r) => (child.exitCode != null ? r() : (child.once('exit', r), child.kill('SIGTERM')))).then(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode != null) throw new Error(`prometheus exited (${child.exitCode}): ${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not get ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  /** GET /api/v1/<path>: its `data`, or the error Prometheus gave. */
  const api = async (path, params = {}) => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = await res.json();
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    /** An instant query: the result vector as [{ metric, value: [time, "value"] }]. */
    query: async (expr) => (await api('query', { query: expr })).result,
    rules: () => api('rules'),
    stop,
  };
}
