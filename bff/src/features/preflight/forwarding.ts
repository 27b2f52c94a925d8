import type { Config } from '../../platform/config.js';
import { ECHO_HEADER, ECHO_PATH, echoProof, type Echo } from './echo.js';
import { request } from './net.js';
import { finding, type Finding, type PreflightDeps } from './types.js';

type Deps = Pick<PreflightDeps, 'fetch' | 'now' | 'timeoutMs'> & { config: Config };

/** A documentation address (RFC 5737) a client claims to be: nginx must replace it with the real one. */
const FORGED_IP = '203.0.113.77';

/**
 * Through PUBLIC_URL (DNS, a TLS terminator, nginx) to the BFF's echo: does the BFF believe the client
 * IP and https nginx forwards (TRUST_PROXY lists nginx), never an IP the client made up, and is HSTS sent?
 */
export async function checkForwarding(deps: Deps): Promise<Finding[]> {
  const { config } = deps;
  const url = `${config.publicUrl}${ECHO_PATH}`;
  const answer = await request(
    deps.fetch,
    url,
    { headers: { [ECHO_HEADER]: echoProof(config.internalApiToken, deps.now()), 'x-forwarded-for': FORGED_IP } },
    deps.timeoutMs,
  );
  const hstsSkipped = (en: string, zh: string) => finding('proxy.hsts', 'skip', { en, zh });
  if (!answer.ok || answer.res.status !== 200) {
    const why = answer.ok ? `HTTP ${answer.res.status}` : answer.why;
    // A 404 from the BFF itself: it does not take this configuration's proof, so it runs with another.
    const otherToken = answer.ok && answer.res.status === 404 && answer.body.toString().includes('"NOT_FOUND"');
    return [
      finding(
        'proxy.forwarded',
        otherToken ? 'warn' : 'fail',
        otherToken
          ? {
              en: `the BFF behind ${config.publicUrl} does not take this configuration's INTERNAL_API_TOKEN: it runs with another configuration (or an older version)`,
              zh: `${config.publicUrl} 后面的 BFF 不认此配置的 INTERNAL_API_TOKEN：它运行的是另一份配置（或旧版本）`,
            }
          : { en: `cannot reach ${url}: ${why}`, zh: `无法访问 ${url}：${why}` },
        otherToken
          ? {
              en: 'Run preflight with the environment the BFF runs with (docker compose exec bff node dist/preflight.js), or ask its /internal/preflight.',
              zh: '用 BFF 运行时的环境变量运行 preflight（docker compose exec bff node dist/preflight.js），或请求其 /internal/preflight。',
            }
          : {
              en: `Start the site (nginx and the BFF) and make sure ${new URL(config.publicUrl).host} resolves to it from here.`,
              zh: `启动站点（nginx 与 BFF），并确认在本机 ${new URL(config.publicUrl).host} 解析到该站点。`,
            },
      ),
      hstsSkipped('the BFF was not reached through PUBLIC_URL', '未能经 PUBLIC_URL 访问到 BFF'),
    ];
  }
  const echo = parseEcho(answer.body);
  if (!echo)
    return [
      finding(
        'proxy.forwarded',
        'fail',
        {
          en: `${url} answered something that is not the BFF's: /api/ does not reach the BFF`,
          zh: `${url} 的响应不是 BFF 的：/api/ 没有转发到 BFF`,
        },
        {
          en: "Have nginx pass /api/ to the BFF (nginx.conf's location /api/).",
          zh: '让 nginx 把 /api/ 转发给 BFF（nginx.conf 的 location /api/）。',
        },
      ),
      hstsSkipped('the BFF was not reached through PUBLIC_URL', '未能经 PUBLIC_URL 访问到 BFF'),
    ];
  const hsts = answer.res.headers.get('strict-transport-security');
  return [judgeForwarding(config, echo), judgeHsts(config, hsts)];
}

function parseEcho(body: Buffer): Echo | undefined {
  try {
    const echo = JSON.parse(body.toString('utf8')) as Partial<Echo> | null;
    return typeof echo?.protocol === 'string' && typeof echo.ip === 'string' ? (echo as Echo) : undefined;
  } catch {
    return undefined;
  }
}

function judgeForwarding(config: Config, echo: Echo): Finding {
  const data = { ip: echo.ip, protocol: echo.protocol, peer: echo.peer };
  const https = config.publicUrl.startsWith('https:');
  if (echo.ip === FORGED_IP)
    return finding(
      'proxy.forwarded',
      'fail',
      {
        en: `a client chooses its own IP: the BFF believed the X-Forwarded-For ${FORGED_IP} preflight made up`,
        zh: `客户端可以伪造自己的 IP：BFF 采信了 preflight 编造的 X-Forwarded-For ${FORGED_IP}`,
      },
      {
        en: 'Have the proxy replace X-Forwarded-For with the address it sees (nginx: proxy_set_header X-Forwarded-For $remote_addr, as wxauth/proxy-headers.conf does), and list only that proxy in TRUST_PROXY.',
        zh: '让代理用它看到的地址替换 X-Forwarded-For（nginx：proxy_set_header X-Forwarded-For $remote_addr，如 wxauth/proxy-headers.conf），TRUST_PROXY 只列该代理。',
      },
      data,
    );
  // The made-up value arrived as it was sent: nothing between preflight and the BFF set X-Forwarded-For.
  const direct = echo.forwardedFor === null || echo.forwardedFor === FORGED_IP;
  if (!direct && !echo.trusted) {
    const passes = echo.forwardedFor!.includes(FORGED_IP);
    return finding(
      'proxy.forwarded',
      'fail',
      {
        en: `the proxy at ${echo.peer} forwards the client's IP and scheme, but TRUST_PROXY does not list it: every user appears as ${echo.peer} (one rate limit for all)${https ? ' and https as http' : ''}${passes ? "; it also passes a client's own X-Forwarded-For on" : ''}`,
        zh: `${echo.peer} 处的代理转发了客户端 IP 和协议，但 TRUST_PROXY 未列出它：所有用户都显示为 ${echo.peer}（共用一个频率限制）${https ? '，https 被当作 http' : ''}${passes ? '；它还把客户端自带的 X-Forwarded-For 转发了' : ''}`,
      },
      {
        en: `Set TRUST_PROXY=${echo.peer} (nginx's address as the BFF sees it; "loopback" when on the same host)${passes ? ', and have the proxy replace X-Forwarded-For with $remote_addr (wxauth/proxy-headers.conf)' : ''}.`,
        zh: `设置 TRUST_PROXY=${echo.peer}（BFF 看到的 nginx 地址；同一主机时用 "loopback"）${passes ? '，并让代理用 $remote_addr 替换 X-Forwarded-For（wxauth/proxy-headers.conf）' : ''}。`,
      },
      data,
    );
  }
  if (direct) {
    const seen = {
      en: `no proxy forwards to the BFF: it sees clients directly (client ${echo.ip}, ${echo.protocol})`,
      zh: `BFF 前没有转发头的代理：直接面对客户端（客户端 ${echo.ip}，${echo.protocol}）`,
    };
    if (config.demo && !https) return finding('proxy.forwarded', 'ok', seen, undefined, data);
    return finding(
      'proxy.forwarded',
      https && echo.protocol !== 'https' ? 'fail' : 'warn',
      seen,
      {
        en: "Put nginx with wxauth's nginx.conf in front (it sends X-Forwarded-For and -Proto), and set TRUST_PROXY to its address.",
        zh: '在前面放置使用 wxauth nginx.conf 的 nginx（它发送 X-Forwarded-For 和 -Proto），并把 TRUST_PROXY 设为其地址。',
      },
      data,
    );
  }
  if (https && echo.protocol !== 'https')
    return finding(
      'proxy.forwarded',
      'fail',
      {
        en: `PUBLIC_URL is https, but the BFF sees http (X-Forwarded-Proto: ${echo.forwardedProto ?? 'none'}): cookies lose Secure and __Host-, the proxy's callbacks say http`,
        zh: `PUBLIC_URL 是 https，但 BFF 看到的是 http（X-Forwarded-Proto：${echo.forwardedProto ?? '无'}）：Cookie 失去 Secure 和 __Host-，代理回调地址为 http`,
      },
      {
        en: 'Where TLS ends in front of nginx (a cloud load balancer), have it send X-Forwarded-Proto: https; nginx.conf passes it on.',
        zh: '若 TLS 在 nginx 之前终止（如云负载均衡），让其发送 X-Forwarded-Proto: https；nginx.conf 会继续转发。',
      },
      data,
    );
  return finding(
    'proxy.forwarded',
    'ok',
    {
      en: `the BFF sees the client (${echo.ip}) and ${echo.protocol}, forwarded by the trusted proxy ${echo.peer}; a made-up X-Forwarded-For is ignored`,
      zh: `BFF 看到客户端（${echo.ip}）和 ${echo.protocol}，由受信任的代理 ${echo.peer} 转发；伪造的 X-Forwarded-For 无效`,
    },
    undefined,
    data,
  );
}

function judgeHsts(config: Config, hsts: string | null): Finding {
  if (!config.publicUrl.startsWith('https:'))
    return finding('proxy.hsts', 'skip', { en: 'PUBLIC_URL is http: no HSTS', zh: 'PUBLIC_URL 是 http：无 HSTS' });
  const maxAge = Number(/max-age=(\d+)/i.exec(hsts ?? '')?.[1] ?? 0);
  if (maxAge > 0) return finding('proxy.hsts', 'ok', { en: `HSTS is sent: ${hsts}`, zh: `已发送 HSTS：${hsts}` });
  return finding(
    'proxy.hsts',
    'warn',
    {
      en: 'no HSTS (Strict-Transport-Security) through PUBLIC_URL',
      zh: '经 PUBLIC_URL 的响应没有 HSTS（Strict-Transport-Security）',
    },
    {
      en: "nginx.conf sends it when it sees https (its own TLS, or a front proxy's X-Forwarded-Proto: https): use it, or add the header where TLS ends.",
      zh: 'nginx.conf 在识别到 https 时（自身 TLS，或前置代理的 X-Forwarded-Proto: https）会发送它：使用该配置，或在 TLS 终止处添加此头。',
    },
  );
}
