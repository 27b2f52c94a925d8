import { fileURLToPath } from 'node:url';
import type { WechatClient } from '../../adapters/wechat/client.js';
import type { ConfigError, Config, WechatApps } from '../../platform/config.js';
import { aboutProblem } from '../../platform/configSchema.js';
import { checkDatabase } from './database.js';
import { checkForwarding } from './forwarding.js';
import { checkJssdkOrigins } from './jssdk.js';
import { checkMessages } from './messages.js';
import { checkOidc } from './oidc.js';
import { checkPublicUrl } from './publicUrl.js';
import { checkRedis } from './redis.js';
import { checkSecrets } from './secrets.js';
import { checkSms } from './sms.js';
import { finding, type Finding, type PreflightDeps, type Report, type Status } from './types.js';
import { checkVerifyFiles } from './verifyFiles.js';
import { checkWechat } from './wechat.js';

/** The repository's public/ and the built web/dist/, from this module (src/ or dist/ of the BFF). */
export const REPOSITORY_FILES = {
  public: fileURLToPath(new URL('../../../../public', import.meta.url)),
  dist: fileURLToPath(new URL('../../../../web/dist', import.meta.url)),
};

function report(mode: Report['mode'], checks: Finding[], publicUrl?: string): Report {
  const counts: Record<Status, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status] += 1;
  return { ok: counts.fail === 0, mode, ...(publicUrl && { publicUrl }), counts, checks };
}

/**
 * A configuration the BFF would refuse to start with: one failing line per problem, as start-up names it,
 * and what the variable takes, from the same schema (an example, never a secret's).
 */
export function configReport(err: ConfigError): Report {
  return report(
    'invalid',
    err.problems.map((problem) => {
      const about = aboutProblem(problem);
      const name = about?.name ?? 'the variable named';
      const like = about && !about.secret ? { en: `, like ${about.example}`, zh: `（例如 ${about.example}）` } : null;
      return finding(
        'config',
        'fail',
        { en: problem, zh: `配置错误：${problem}` },
        {
          en: `Set ${name} as docs/reference/configuration.md says${like?.en ?? ''}; the BFF does not start until every variable named is right.`,
          zh: `按 docs/reference/configuration.md 修正 ${name}${like?.zh ?? ''}；在全部正确之前 BFF 不会启动。`,
        },
        about && { variable: about.name },
      );
    }),
  );
}

/** A check that broke is a failing line of its own, never a crash of the whole run. */
async function guarded<T extends Finding | Finding[]>(id: string, check: () => Promise<T>): Promise<T | Finding[]> {
  try {
    return await check();
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    return [
      finding(
        id,
        'fail',
        { en: `the check could not run: ${message}`, zh: `检查无法运行：${message}` },
        { en: 'Report this with the line above.', zh: '请连同上面一行报告此问题。' },
      ),
    ];
  }
}

/** Every check, concurrently where they do not depend on each other, in the order they are printed. */
export async function runPreflight(deps: PreflightDeps): Promise<Report> {
  const { config, apps } = deps;
  const [verify, wechat, jssdk, forwarding, database, redis, sms, oidc, messages] = await Promise.all([
    guarded('mp-verify', () => checkVerifyFiles(deps)),
    guarded('wechat.official', () => checkWechat(deps)),
    guarded('jssdk.origins', () => checkJssdkOrigins(deps)),
    guarded('proxy.forwarded', () => checkForwarding(deps)),
    guarded('database', () => checkDatabase({ databaseUrl: config.databaseUrl })),
    guarded('redis', () => checkRedis({ redisUrl: config.redisUrl })),
    guarded('sms', () => checkSms(deps)),
    guarded('oidc', () => checkOidc(deps)),
    guarded('wechat.messages', () => checkMessages({ ...deps, appid: apps?.official.appid ?? null })),
  ]);
  const byId = (id: string) => wechat.filter((f) => f.id === id);
  const mode = config.demo ? 'demo' : 'real';
  const loaded = finding('config', 'ok', {
    en: `the configuration loads: ${config.demo ? 'demo mode, WeChat is the simulator' : 'real mode'}${apps ? `, appid ${apps.official.appid}` : ''}`,
    zh: `配置有效：${config.demo ? '演示模式，微信为模拟器' : '正式模式'}${apps ? `，appid ${apps.official.appid}` : ''}`,
  });
  return report(
    mode,
    [
      loaded,
      ...checkPublicUrl(config, apps),
      ...verify,
      ...byId('wechat.official'),
      ...byId('wechat.website'),
      ...[jssdk].flat(),
      ...byId('jssdk.ticket'),
      ...[messages].flat(),
      ...forwarding,
      checkSecrets(config),
      ...database,
      ...redis,
      ...byId('clock'),
      ...[sms].flat(),
      ...oidc,
    ],
    config.publicUrl,
  );
}

/**
 * The WeChat apps a configuration means: its own, or in demo mode the simulator's demo apps on
 * WXSIM_PORT, as the running demo has them (unknown when that port is 0, or without the simulator).
 */
export async function appsOf(config: Config): Promise<WechatApps | null> {
  if (!config.demo) return config.apps;
  if (config.simulatorPort === 0) return null;
  try {
    const { demoApps } = await import('@wxauth/wechat-sim');
    const host = new URL(config.publicUrl).hostname;
    const [official, website] = demoApps(host);
    const sim = `http://127.0.0.1:${config.simulatorPort}`;
    const openBase = host === 'localhost' ? sim.replace('127.0.0.1', 'localhost') : sim;
    return {
      official: { appid: official!.appid, secret: official!.secret },
      website: { appid: website!.appid, secret: website!.secret },
      openBase,
      apiBase: sim,
      jssdkScript: `${openBase}/open/js/jweixin-1.6.0.js`,
    };
  } catch {
    return null;
  }
}

/**
 * Preflight for a running BFF (its /internal/preflight): its own configuration, apps and WeChat
 * adapter, the real network. Runs asked for while one is under way share its answer.
 */
export function createPreflight(options: { config: Config; apps: WechatApps; wechat: WechatClient }) {
  let running: Promise<Report> | undefined;
  return (): Promise<Report> => {
    running ??= runPreflight({
      config: options.config,
      apps: options.apps,
      wechat: options.wechat,
      fetch,
      now: Date.now,
      files: REPOSITORY_FILES,
      timeoutMs: options.config.wechatTimeoutMs,
    }).finally(() => {
      running = undefined;
    });
    return running;
  };
}
