import type { Config } from '../../platform/config.js';
import { request } from './net.js';
import { judged, type Problem } from './problems.js';
import type { Finding, PreflightDeps } from './types.js';
import { expectedVerifyFiles, servedFinding } from './verifyFiles.js';

type Deps = Pick<PreflightDeps, 'fetch' | 'files' | 'timeoutMs'> & { config: Config };

/**
 * The origins whose pages jssdk-config signs (PUBLIC_URL's and WX_JSSDK_ORIGINS): each must be a
 * JS接口安全域名 of the Official Account, so https, answering, and (for the others; PUBLIC_URL's has its
 * own check) serving the MP_verify file WeChat fetches when the domain is saved.
 */
export async function checkJssdkOrigins(deps: Deps): Promise<Finding> {
  const { config } = deps;
  const expected = await expectedVerifyFiles(deps.files);
  const problems: Problem[] = [];
  await Promise.all(
    config.jssdkOrigins.map(async (origin) => {
      if (!config.demo && !origin.startsWith('https:'))
        problems.push({
          status: 'warn',
          summary: { en: `${origin} is http`, zh: `${origin} 是 http` },
          fix: {
            en: `Serve ${origin} over https: JS接口安全域名 pages are https in production.`,
            zh: `为 ${origin} 启用 https：正式环境的 JS 接口安全域名页面应为 https。`,
          },
        });
      const answer = await request(deps.fetch, `${origin}/`, {}, deps.timeoutMs);
      if (!answer.ok || answer.res.status >= 500) {
        const why = answer.ok ? `HTTP ${answer.res.status}` : answer.why;
        problems.push({
          status: 'fail',
          summary: { en: `${origin} does not answer (${why})`, zh: `${origin} 无响应（${why}）` },
          fix: {
            en: `Bring ${origin} up, or take it out of WX_JSSDK_ORIGINS.`,
            zh: `让 ${origin} 可以访问，或将其从 WX_JSSDK_ORIGINS 中移除。`,
          },
        });
        return;
      }
      if (origin === config.publicUrl || !expected.size) return;
      const served = await servedFinding(deps, 'jssdk.origins', origin, expected);
      if (served.status !== 'ok')
        problems.push({
          status: 'warn',
          summary: {
            en: `${origin} does not serve the MP_verify file (${served.summary.en})`,
            zh: `${origin} 未提供 MP_verify 文件（${served.summary.zh}）`,
          },
          fix: {
            en: `Serve it at ${origin}'s root: WeChat fetches it when ${new URL(origin).hostname} is saved as a JS接口安全域名.`,
            zh: `在 ${origin} 根目录提供该文件：保存 JS 接口安全域名 ${new URL(origin).hostname} 时微信会读取它。`,
          },
        });
    }),
  );
  const list = config.jssdkOrigins.join(', ');
  if (config.demo)
    return judged('jssdk.origins', { en: `demo mode: ${list} answers`, zh: `演示模式：${list} 可访问` }, problems);
  return judged(
    'jssdk.origins',
    {
      en: `${list}: https, answering; each must be a JS接口安全域名 (公众号后台 → 设置与开发 → 功能设置)`,
      zh: `${list}：https，可访问；每个都须设为 JS 接口安全域名（公众号后台 → 设置与开发 → 功能设置）`,
    },
    problems,
  );
}
