import { createWechatClient } from '../../adapters/wechat/client.js';
import { ConfigError, loadConfig, type Config, type WechatApps } from '../../platform/config.js';
import { createUpstreamFetch } from '../../platform/http/upstream.js';
import { formatReport } from './format.js';
import { appsOf, configReport, REPOSITORY_FILES, runPreflight } from './run.js';
import type { PreflightDeps, Report } from './types.js';

export const USAGE = `usage: pnpm preflight [--json]
  Checks the deployment the environment describes (the same variables the BFF starts with): prints one
  line per check (ok, warn, FAIL, skip) with the cause and the fix of each problem, in English and Chinese.
  --json   the report as JSON, for machines
  Exit code: 0 when nothing failed, 1 when a check failed, 2 for a wrong option.
`;

/** The WeChat adapter as compose.ts builds it for these apps: the same hosts, timeout and upstream fetch. */
const wechatOf = (config: Config, apps: WechatApps) =>
  createWechatClient({
    fetch: createUpstreamFetch(),
    openBase: apps.openBase,
    apiBase: apps.apiBase,
    timeoutMs: config.wechatTimeoutMs,
  });

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** `pnpm preflight`: the report for this environment, and the exit code. Edges can be replaced in tests. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: Io,
  edges: Partial<Pick<PreflightDeps, 'fetch' | 'now' | 'files'>> = {},
): Promise<number> {
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.includes('--help') || unknown.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  if (unknown.length) {
    io.err(`preflight: unknown option ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  let report: Report;
  try {
    const config = loadConfig(env);
    const apps = await appsOf(config);
    report = await runPreflight({
      config,
      apps,
      wechat: apps && wechatOf(config, apps),
      fetch: edges.fetch ?? fetch,
      now: edges.now ?? Date.now,
      files: edges.files ?? REPOSITORY_FILES,
      timeoutMs: config.wechatTimeoutMs,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report = configReport(err);
  }
  io.out(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}
