import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../platform/config.js';
import { request } from './net.js';
import { judged, type Problem } from './problems.js';
import { finding, type Finding, type PreflightDeps, type Text } from './types.js';

type Deps = Pick<PreflightDeps, 'fetch' | 'files' | 'timeoutMs'> & { config: Config };

/** The names nginx.conf serves at the root (its location for MP_verify_*.txt). */
const VERIFY_NAME = /^MP_verify_([A-Za-z0-9]+)\.txt$/;

/** A folder's MP_verify files by name; null when the folder is not there. */
async function verifyFiles(dir: string): Promise<Map<string, Buffer> | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const files = new Map<string, Buffer>();
  for (const name of names.filter((n) => VERIFY_NAME.test(n)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

const DOWNLOAD: Text = {
  en: 'Download MP_verify_<token>.txt from 公众号后台 → 设置与开发 → 功能设置 → 网页授权域名, put it in public/ as it is, and build again (pnpm build).',
  zh: '从 公众号后台 → 设置与开发 → 功能设置 → 网页授权域名 下载 MP_verify_<token>.txt，原样放入 public/，再构建（pnpm build）。',
};

/**
 * WeChat verifies a 网页授权域名 (and a JS接口安全域名) by fetching MP_verify_<token>.txt at its root:
 * it must be in public/ (the source), in the built dist/ (what the web image serves), and served by the
 * site itself at PUBLIC_URL (nginx included), byte for byte, as text/plain; the same on the proxy's domain.
 */
export async function checkVerifyFiles(deps: Deps): Promise<Finding[]> {
  const [source, built] = await Promise.all([verifyFiles(deps.files.public), verifyFiles(deps.files.dist)]);
  const expected = source?.size ? source : built;
  const findings = [judgeLocal(deps.files, source, built)];
  const origins: Array<[string, string]> = [['mp-verify.public-url', deps.config.publicUrl]];
  const proxy = deps.config.proxy;
  if (proxy.allowedHosts.length && proxy.publicUrl && proxy.publicUrl !== deps.config.publicUrl)
    origins.push(['mp-verify.proxy', proxy.publicUrl]);
  for (const [id, origin] of origins)
    findings.push(
      expected?.size
        ? await servedFinding(deps, id, origin, expected)
        : finding(id, 'skip', {
            en: `no MP_verify_*.txt here to look for at ${origin}`,
            zh: `本机没有 MP_verify_*.txt，无从检查 ${origin}`,
          }),
    );
  if (proxy.allowedHosts.length && !proxy.publicUrl)
    findings.push(
      finding('mp-verify.proxy', 'skip', {
        en: "the proxy's domain comes from each request (no WX_PROXY_PUBLIC_URL): set it to have its MP_verify checked",
        zh: '代理域名取自请求（未设置 WX_PROXY_PUBLIC_URL）：设置后才能检查其 MP_verify',
      }),
    );
  return findings;
}

function judgeLocal(
  dirs: Deps['files'],
  source: Map<string, Buffer> | null,
  built: Map<string, Buffer> | null,
): Finding {
  if (!source && !built)
    return finding(
      'mp-verify.local',
      'warn',
      {
        en: `neither ${dirs.public} nor ${dirs.dist} is here (a BFF image?): which MP_verify file to look for is unknown`,
        zh: `本机没有 ${dirs.public} 和 ${dirs.dist}（BFF 镜像内？）：不知道要检查哪个 MP_verify 文件`,
      },
      {
        en: 'Run pnpm preflight from the repository the web image is built from.',
        zh: '在构建 web 镜像所用的仓库目录中运行 pnpm preflight。',
      },
    );
  if (!source?.size)
    return finding(
      'mp-verify.local',
      'fail',
      {
        en: `no MP_verify_*.txt in ${dirs.public}: WeChat cannot verify the domain`,
        zh: `${dirs.public} 中没有 MP_verify_*.txt：微信无法验证域名`,
      },
      DOWNLOAD,
    );
  const problems: Problem[] = [];
  const rebuild = {
    en: 'Build again (pnpm build) and deploy the web image.',
    zh: '重新构建（pnpm build）并部署 web 镜像。',
  };
  if (!built)
    problems.push({
      status: 'warn',
      summary: { en: `no built ${dirs.dist}`, zh: `没有构建产物 ${dirs.dist}` },
      fix: rebuild,
    });
  for (const [name, bytes] of source) {
    const token = VERIFY_NAME.exec(name)![1]!;
    if (built && !built.get(name)?.equals(bytes))
      problems.push({
        status: 'fail',
        summary: {
          en: `${name} in ${dirs.dist} is ${built.has(name) ? 'not the same as' : 'missing from'} public/'s`,
          zh: `${dirs.dist} 中的 ${name} ${built.has(name) ? '与 public/ 中的不同' : '缺失'}`,
        },
        fix: rebuild,
      });
    if (bytes.toString('utf8').trim() !== token)
      problems.push({
        status: 'warn',
        summary: {
          en: `${name} does not hold its token ${token}: renamed, or another download`,
          zh: `${name} 的内容不是其令牌 ${token}：被改名或不是原始下载`,
        },
        fix: DOWNLOAD,
      });
  }
  const names = [...source.keys()].join(', ');
  return judged(
    'mp-verify.local',
    {
      en: `${names}: in public/ and in the built dist/, the same`,
      zh: `${names}：public/ 与构建产物 dist/ 中都有，且一致`,
    },
    problems,
  );
}

/** The MP_verify files a site must serve: public/'s, else the built dist/'s; empty when there are none. */
export async function expectedVerifyFiles(files: Deps['files']): Promise<Map<string, Buffer>> {
  const source = await verifyFiles(files.public);
  return source?.size ? source : ((await verifyFiles(files.dist)) ?? new Map());
}

/** Whether `origin` serves every expected file at its root, byte for byte, as text/plain. */
export async function servedFinding(
  deps: Pick<Deps, 'fetch' | 'timeoutMs'>,
  id: string,
  origin: string,
  expected: Map<string, Buffer>,
): Promise<Finding> {
  const problems: Problem[] = [];
  const served: string[] = [];
  const fix = {
    en: `Serve ${[...expected.keys()].join(', ')} at the root of ${origin}, byte for byte, as text/plain, with no redirect (nginx.conf's MP_verify location: the built dist/, or the folder /etc/wxauth/verify).`,
    zh: `在 ${origin} 根目录原样提供 ${[...expected.keys()].join('、')}，Content-Type 为 text/plain，不要重定向（nginx.conf 中 MP_verify 的 location：构建产物 dist/ 或挂载目录 /etc/wxauth/verify）。`,
  };
  const fail = (en: string, zh: string) => problems.push({ status: 'fail', summary: { en, zh }, fix });
  for (const [name, bytes] of expected) {
    const url = `${origin}/${name}`;
    const answer = await request(deps.fetch, url, {}, deps.timeoutMs);
    if (!answer.ok) {
      fail(`cannot reach ${url}: ${answer.why}`, `无法访问 ${url}：${answer.why}`);
      continue;
    }
    const { res, body } = answer;
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (res.status >= 300 && res.status < 400)
      fail(
        `${url} answers ${res.status} to ${res.headers.get('location') ?? '?'}: WeChat wants the file itself`,
        `${url} 返回 ${res.status} 重定向到 ${res.headers.get('location') ?? '?'}：微信需要文件本身`,
      );
    else if (res.status !== 200) fail(`${url} answers ${res.status}`, `${url} 返回 ${res.status}`);
    else if (type !== 'text/plain')
      fail(
        `${url} is served as ${type || 'no type'}, not text/plain`,
        `${url} 的类型是 ${type || '无'}，不是 text/plain`,
      );
    else if (!body.equals(bytes))
      fail(
        `${url} is not byte-exact: ${body.length} bytes served, ${bytes.length} in the file`,
        `${url} 与文件不一致：提供了 ${body.length} 字节，文件为 ${bytes.length} 字节`,
      );
    else served.push(url);
  }
  return judged(
    id,
    { en: `${served.join(', ')}: text/plain, byte-exact`, zh: `${served.join('、')}：text/plain，逐字节一致` },
    problems,
  );
}
