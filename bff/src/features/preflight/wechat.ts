import { randomBytes } from 'node:crypto';
import type { Diagnosis } from '../../adapters/wechat/client.js';
import { refusedCredential } from '../../adapters/wechat/errors.js';
import { shown } from './net.js';
import { finding, type Finding, type PreflightDeps, type Text } from './types.js';

type Deps = Pick<PreflightDeps, 'apps' | 'wechat' | 'now' | 'timeoutMs'>;

/** What kept WeChat's answer from being read (unreachable, a status, not JSON); undefined when it was. */
function unread(found: Diagnosis<unknown>, host: string, timeoutMs: number): Text | undefined {
  if (found.reply || !found.error) return undefined;
  switch (found.error.code) {
    case 'WECHAT_TIMEOUT':
    case 'WECHAT_UNREACHABLE': {
      const why =
        found.error.code === 'WECHAT_TIMEOUT'
          ? `no answer within ${timeoutMs} ms`
          : (found.cause ?? 'connection failed');
      return { en: `cannot reach ${host}: ${why}`, zh: `无法连接 ${host}：${why}` };
    }
    case 'WECHAT_UNAVAILABLE':
      return { en: `${host} answered HTTP ${found.status}`, zh: `${host} 返回 HTTP ${found.status}` };
    default:
      return { en: `${host} answered something that is not JSON`, zh: `${host} 返回的不是 JSON` };
  }
}

/** errmsg without WeChat's request id ("…, rid: 6592…", "hints: […]"). */
const bare = (errmsg = '') => errmsg.replace(/,?\s*(rid|hint|hints):.*$/s, '').trim();

/** The adapter's codes for a code WeChat refused (40029, 40163, 42003): a made-up code meets one of them. */
const CODE_REFUSED = new Set(['CODE_INVALID', 'CODE_USED', 'CODE_EXPIRED']);

const UNREACHABLE_FIX: Text = {
  en: 'Allow outbound https from this server to api.weixin.qq.com (firewall, egress proxy, DNS), or fix WX_API_BASE.',
  zh: '放行本机到 api.weixin.qq.com 的出站 https（防火墙、出口代理、DNS），或修正 WX_API_BASE。',
};

interface AppNames {
  appid: string;
  idVar: string;
  secretVar: string;
  /** Where the operator finds the appid and secret. */
  where: Text;
}

/** What WeChat's refusal of a credential check means (as the adapter maps its errcode), as a finding. */
function credentialFinding(id: string, app: AppNames, found: Diagnosis<unknown>): Finding {
  const errcode = found.error?.errcode ?? 0;
  const errmsg = found.reply?.errmsg ?? '';
  const data = { errcode };
  if (found.error?.code === 'WECHAT_BUSY')
    return finding(
      id,
      'warn',
      {
        en: `WeChat is busy (${errcode}): the credentials could not be checked`,
        zh: `微信繁忙（${errcode}）：未能检查凭据`,
      },
      { en: 'Run preflight again in a minute.', zh: '稍后再运行一次 preflight。' },
      data,
    );
  switch (found.error && refusedCredential(found.error)) {
    case 'appid':
      return finding(
        id,
        'fail',
        {
          en: `WeChat does not know appid ${app.appid} (${errcode} invalid appid)`,
          zh: `微信不认识 appid ${app.appid}（${errcode} 不合法的 AppID）`,
        },
        {
          en: `Copy the AppID from ${app.where.en} into ${app.idVar}.`,
          zh: `从${app.where.zh}复制 AppID，填入 ${app.idVar}。`,
        },
        data,
      );
    case 'secret':
      return finding(
        id,
        'fail',
        {
          en: `WeChat refused ${app.secretVar} for ${app.appid} (${errcode} invalid appsecret)`,
          zh: `微信拒绝了 ${app.appid} 的 ${app.secretVar}（${errcode} 无效的 AppSecret）`,
        },
        {
          en: `Copy (or reset) the AppSecret in ${app.where.en}, set ${app.secretVar}, and restart every instance.`,
          zh: `在${app.where.zh}复制（或重置）AppSecret，设置 ${app.secretVar}，并重启所有实例。`,
        },
        data,
      );
    case 'ip': {
      const ip = /invalid ip (\S+?),?\s/.exec(errmsg)?.[1];
      const who = ip ? ` ${ip}` : '';
      return finding(
        id,
        'fail',
        {
          en: `WeChat refused this server's egress IP${who} (${errcode}): it is not on the 接口IP白名单 of ${app.appid}`,
          zh: `微信拒绝了本机出口 IP${who}（${errcode}）：不在 ${app.appid} 的接口IP白名单中`,
        },
        {
          en: `Add${who || " this server's public egress IP"} in 公众号后台 → 设置与开发 → 基本配置 → IP白名单. It is the address WeChat saw (a NAT gateway's or load balancer's public address, not the host's private one); list every instance's.`,
          zh: `在 公众号后台 → 设置与开发 → 基本配置 → IP白名单 中加入${who || '本机的公网出口 IP'}。这是微信看到的地址（NAT 网关或负载均衡的公网地址，而不是主机的内网地址）；每个实例的出口 IP 都要加。`,
        },
        ip ? { ...data, ip } : data,
      );
    }
    default:
      return finding(
        id,
        'fail',
        {
          en: `WeChat answered errcode ${errcode} (${bare(errmsg)}) for ${app.appid}`,
          zh: `微信对 ${app.appid} 返回错误码 ${errcode}（${bare(errmsg)}）`,
        },
        {
          en: `Look errcode ${errcode} up in WeChat's 全局返回码 and fix ${app.idVar}/${app.secretVar} or the account's settings.`,
          zh: `在微信“全局返回码”中查 ${errcode}，修正 ${app.idVar}/${app.secretVar} 或账号设置。`,
        },
        data,
      );
  }
}

const OFFICIAL_WHERE: Text = {
  en: '公众号后台 → 设置与开发 → 基本配置 (开发者ID)',
  zh: ' 公众号后台 → 设置与开发 → 基本配置（开发者ID）',
};
const WEBSITE_WHERE: Text = {
  en: '开放平台 → 管理中心 → 网站应用 → 查看',
  zh: ' 开放平台 → 管理中心 → 网站应用 → 查看',
};

const MINIPROGRAM_WHERE: Text = {
  en: '小程序后台 → 开发管理 → 开发设置 (开发者ID)',
  zh: ' 小程序后台 → 开发管理 → 开发设置（开发者ID）',
};

/**
 * The mini program's credentials (WX_MINIPROGRAM_*), by one stable_token call in normal mode as for the
 * Official Account: the token its phone numbers are read with (getuserphonenumber).
 */
async function checkMiniProgram(deps: Deps): Promise<Finding> {
  const mp = deps.apps!.miniprogram;
  if (!mp)
    return finding('wechat.miniprogram', 'skip', {
      en: 'no mini program configured (WX_MINIPROGRAM_APPID)',
      zh: '未配置小程序（WX_MINIPROGRAM_APPID）',
    });
  const found = await deps.wechat!.diagnose('stableToken', { appid: mp.appid, secret: mp.secret });
  const problem = unread(found, shown(deps.apps!.apiBase), deps.timeoutMs);
  if (problem) return finding('wechat.miniprogram', 'fail', problem, UNREACHABLE_FIX);
  if (!found.error && found.reply?.access_token)
    return finding('wechat.miniprogram', 'ok', {
      en: `mini program ${mp.appid}: WeChat accepts the secret and this server's IP (stable_token, normal mode)`,
      zh: `小程序 ${mp.appid}：微信接受 AppSecret 和本机 IP（stable_token 普通模式）`,
    });
  return credentialFinding(
    'wechat.miniprogram',
    { appid: mp.appid, idVar: 'WX_MINIPROGRAM_APPID', secretVar: 'WX_MINIPROGRAM_APPSECRET', where: MINIPROGRAM_WHERE },
    found,
  );
}

/**
 * Asked through the WeChat adapter's diagnose, so each is the request the BFF itself sends.
 * The Official Account's credentials through one `cgi-bin/stable_token` call in normal mode: it spends
 * none of the 20 daily force refreshes and leaves the token the running servers hold as it is. Then a
 * jsapi_ticket with that token, the website app's and the mini program's credentials, and the clock
 * against WeChat's Date.
 */
export async function checkWechat(deps: Deps): Promise<Finding[]> {
  const { apps, wechat } = deps;
  if (!apps || !wechat) {
    const why = {
      en: "the demo's simulator port is not known (PORT=0): nothing to ask",
      zh: '演示模拟器端口未知（PORT=0）：无从检查',
    };
    return ['wechat.official', 'wechat.website', 'wechat.miniprogram', 'jssdk.ticket', 'clock'].map((id) =>
      finding(id, 'skip', why),
    );
  }
  const host = shown(apps.apiBase);
  const official = apps.official;
  const names: AppNames = {
    appid: official.appid,
    idVar: 'WX_APPID',
    secretVar: 'WX_APPSECRET',
    where: OFFICIAL_WHERE,
  };
  // stable_token whatever WX_TOKEN_API says: cgi-bin/token would replace the token the running servers hold.
  const found = await wechat.diagnose('stableToken', { appid: official.appid, secret: official.secret });
  const problem = unread(found, host, deps.timeoutMs);
  const token = found.error ? undefined : found.reply?.access_token;
  const officialFinding = problem
    ? finding('wechat.official', 'fail', problem, UNREACHABLE_FIX)
    : token
      ? finding('wechat.official', 'ok', {
          en: `appid ${official.appid}: WeChat accepts the secret and this server's IP (stable_token, normal mode)`,
          zh: `appid ${official.appid}：微信接受 AppSecret 和本机 IP（stable_token 普通模式）`,
        })
      : credentialFinding('wechat.official', names, found);

  const [website, miniProgram, ticket] = await Promise.all([
    checkWebsite(deps),
    checkMiniProgram(deps),
    token ? checkTicket(deps, token) : undefined,
  ]);
  return [
    officialFinding,
    website,
    miniProgram,
    ticket ??
      finding('jssdk.ticket', 'skip', {
        en: 'no global access_token: no jsapi_ticket to ask for',
        zh: '没有全局 access_token：无法获取 jsapi_ticket',
      }),
    checkClock(found.date, deps.now()),
  ];
}

/** A website app has no global token; its code exchange, with a code made up here, tells its secret. */
async function checkWebsite(deps: Deps): Promise<Finding> {
  const website = deps.apps!.website;
  if (!website?.secret)
    return finding('wechat.website', 'skip', {
      en: website
        ? `website app ${website.appid}: no WX_WEBSITE_APPSECRET, nothing to check (only the proxy's device=pc uses the appid)`
        : 'no website app configured (WX_WEBSITE_APPID)',
      zh: website
        ? `网站应用 ${website.appid}：未设置 WX_WEBSITE_APPSECRET，无从检查（仅代理的 device=pc 使用该 appid）`
        : '未配置网站应用（WX_WEBSITE_APPID）',
    });
  const found = await deps.wechat!.diagnose('exchangeCode', {
    appid: website.appid,
    secret: website.secret,
    code: `wxauthpreflight${randomBytes(8).toString('hex')}`,
  });
  const problem = unread(found, shown(deps.apps!.apiBase), deps.timeoutMs);
  if (problem) return finding('wechat.website', 'fail', problem, UNREACHABLE_FIX);
  // The made-up code is all WeChat refused: the appid and the secret passed.
  if (found.error && CODE_REFUSED.has(found.error.code))
    return finding(
      'wechat.website',
      'ok',
      {
        en: `website app ${website.appid}: WeChat accepts the secret (it refused only the made-up code, ${found.error.errcode})`,
        zh: `网站应用 ${website.appid}：微信接受 AppSecret（只拒绝了编造的 code，${found.error.errcode}）`,
      },
      undefined,
      { errcode: found.error.errcode! },
    );
  return credentialFinding(
    'wechat.website',
    { appid: website.appid, idVar: 'WX_WEBSITE_APPID', secretVar: 'WX_WEBSITE_APPSECRET', where: WEBSITE_WHERE },
    found,
  );
}

/** The JS-SDK needs a jsapi_ticket; the token just fetched asks for one (WeChat hands back the current one). */
async function checkTicket(deps: Deps, token: string): Promise<Finding> {
  const found = await deps.wechat!.diagnose('jsapiTicket', { accessToken: token });
  const problem = unread(found, shown(deps.apps!.apiBase), deps.timeoutMs);
  if (problem) return finding('jssdk.ticket', 'fail', problem, UNREACHABLE_FIX);
  if (!found.error)
    return finding('jssdk.ticket', 'ok', {
      en: 'a jsapi_ticket can be had: wx.config can be signed',
      zh: '可以获取 jsapi_ticket：可为 wx.config 签名',
    });
  const errcode = found.error.errcode ?? 0;
  const unauthorized = found.error.code === 'WECHAT_SCOPE_DENIED';
  return finding(
    'jssdk.ticket',
    'fail',
    {
      en: `no jsapi_ticket: WeChat answered ${errcode} (${bare(found.reply?.errmsg)})`,
      zh: `无法获取 jsapi_ticket：微信返回 ${errcode}（${bare(found.reply?.errmsg)}）`,
    },
    unauthorized
      ? {
          en: `The account lacks the JS-SDK (${errcode} api unauthorized): it must be a verified (认证) Official Account; see 公众号后台 → 设置与开发 → 接口权限.`,
          zh: `账号没有 JS-SDK 权限（${errcode} api unauthorized）：须为已认证的公众号；见 公众号后台 → 设置与开发 → 接口权限。`,
        }
      : {
          en: `Look errcode ${errcode} up in WeChat's 全局返回码.`,
          zh: `在微信“全局返回码”中查 ${errcode}。`,
        },
    { errcode },
  );
}

const CLOCK_OK_MS = 10_000;
const CLOCK_FAIL_MS = 5 * 60_000;

/** This server's clock against WeChat's Date header (1 s resolution, plus the request's own time). */
function checkClock(header: string | undefined, now: number): Finding {
  const date = Date.parse(header ?? '');
  if (Number.isNaN(date))
    return finding('clock', 'skip', {
      en: "no Date header from WeChat to compare this server's clock with",
      zh: '没有微信的 Date 头，无法比较本机时钟',
    });
  const skew = Math.round((now - date) / 1000);
  const ahead = skew >= 0 ? 'ahead of' : 'behind';
  const aheadZh = skew >= 0 ? '快' : '慢';
  const seconds = Math.abs(skew);
  const summary = {
    en: `this server's clock is ${seconds} s ${ahead} WeChat's`,
    zh: `本机时钟比微信${aheadZh} ${seconds} 秒`,
  };
  if (seconds * 1000 <= CLOCK_OK_MS) return finding('clock', 'ok', summary, undefined, { skewSeconds: skew });
  return finding(
    'clock',
    seconds * 1000 > CLOCK_FAIL_MS ? 'fail' : 'warn',
    summary,
    {
      en: 'Run time synchronisation (chrony or systemd-timesyncd): identity tokens and SMS codes expire by this clock, and services with a right clock refuse tokens from a wrong one.',
      zh: '启用时间同步（chrony 或 systemd-timesyncd）：身份令牌和短信验证码按本机时钟过期，时钟正确的服务会拒绝时钟错误的一方签发的令牌。',
    },
    { skewSeconds: skew },
  );
}
