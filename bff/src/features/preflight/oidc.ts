import { access } from 'node:fs/promises';
import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { ConfigError, type Config } from '../../platform/config.js';
import { httpLocalhostAllowed, OIDC_PATH, readClientsFile, type ClientEntry } from '../oidc/index.js';
import { readKeySet } from '../site/index.js';
import { request, shown } from './net.js';
import { finding, type Finding, type PreflightDeps } from './types.js';

type Deps = Pick<PreflightDeps, 'fetch' | 'timeoutMs'> & { config: Config };

const DISCOVERY = '/.well-known/openid-configuration';
/** At most this many of the file's problems in one line; the BFF's start names them all. */
const SHOWN_PROBLEMS = 5;

/**
 * The OpenID Connect provider (OIDC_CLIENTS_FILE): its client file as the start checks it, its
 * redirect URIs https, JWT_KEYS_FILE's keys able to sign, and its discovery reached through PUBLIC_URL.
 */
export async function checkOidc(deps: Deps): Promise<Finding[]> {
  const { config } = deps;
  const file = config.oidc.clientsFile;
  if (!file)
    return [
      finding('oidc', 'skip', {
        en: 'OIDC_CLIENTS_FILE is unset: the OpenID Connect provider is off',
        zh: '未设置 OIDC_CLIENTS_FILE：OpenID Connect 提供方未启用',
      }),
    ];
  const [clients, keys, issuer] = await Promise.all([
    checkClients(file, httpLocalhostAllowed(config)),
    checkKeys(config),
    checkIssuer(deps),
  ]);
  return [...clients, keys, issuer];
}

const problemsOf = async (read: Promise<unknown>): Promise<string[]> =>
  read.then(
    () => [],
    (err: unknown) => {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    },
  );

/** The file by the oidc room's own rules: read leniently (http on localhost allowed), then as this environment starts. */
async function checkClients(file: string, development: boolean): Promise<Finding[]> {
  let entries: ClientEntry[] = [];
  const problems = await problemsOf(readClientsFile(file, true).then((read) => (entries = read)));
  if (problems.length) {
    const listed = problems.slice(0, SHOWN_PROBLEMS).join('; ');
    const more = problems.length > SHOWN_PROBLEMS ? ` (+${problems.length - SHOWN_PROBLEMS})` : '';
    return [
      finding(
        'oidc.clients',
        'fail',
        { en: `${listed}${more}: the BFF does not start`, zh: `${listed}${more}：BFF 无法启动` },
        {
          en: `Correct ${file} as docs/guide/oidc.md shows (one entry per app: client_id, redirect_uris matched exactly, the secret's client_secret_sha256).`,
          zh: `按 docs/guide/oidc.md 修正 ${file}（每个应用一项：client_id、精确匹配的 redirect_uris、client_secret_sha256）。`,
        },
      ),
      finding('oidc.redirects', 'skip', {
        en: 'the client file does not validate',
        zh: '客户端文件未通过校验',
      }),
    ];
  }
  const publicClients = entries.filter((c) => !c.client_secret_sha256).length;
  const firstParty = entries.filter((c) => c.first_party).length;
  const ids = entries.map((c) => c.client_id).join(', ');
  const clients = finding(
    'oidc.clients',
    'ok',
    {
      en: `${entries.length} client(s) (${ids}): ${firstParty} first-party, ${publicClients} public (PKCE required)`,
      zh: `${entries.length} 个客户端（${ids}）：${firstParty} 个自有应用，${publicClients} 个公共客户端（须 PKCE）`,
    },
    undefined,
    { clients: entries.length },
  );
  const http = entries.flatMap((c) =>
    [
      ...c.redirect_uris,
      ...(c.post_logout_redirect_uris ?? []),
      ...(c.backchannel_logout_uri ? [c.backchannel_logout_uri] : []),
    ]
      .filter((uri) => uri.startsWith('http:'))
      .map((uri) => `${c.client_id} ${uri}`),
  );
  const count = entries.reduce((sum, c) => sum + c.redirect_uris.length, 0);
  if (!http.length)
    return [
      clients,
      finding('oidc.redirects', 'ok', {
        en: `${count} redirect URI(s), all https and exact`,
        zh: `${count} 个 redirect URI，全部为 https 且精确匹配`,
      }),
    ];
  const listed = http.join(', ');
  const fix = {
    en: 'Give each app an https address (TLS at its nginx); http on localhost is for development only.',
    zh: '为每个应用使用 https 地址（在其 nginx 上启用 TLS）；localhost 上的 http 仅限开发环境。',
  };
  return [
    clients,
    development
      ? finding(
          'oidc.redirects',
          'warn',
          {
            en: `http on localhost, accepted in development only (NODE_ENV=production refuses to start): ${listed}`,
            zh: `localhost 上的 http 地址仅在开发环境可用（NODE_ENV=production 时无法启动）：${listed}`,
          },
          fix,
        )
      : finding(
          'oidc.redirects',
          'fail',
          {
            en: `http addresses outside development: the BFF does not start: ${listed}`,
            zh: `非开发环境中的 http 地址：BFF 无法启动：${listed}`,
          },
          fix,
        ),
  ];
}

/** JWT_KEYS_FILE as the start reads it, and each key made to sign a token its public half verifies. */
async function checkKeys(config: Config): Promise<Finding> {
  const file = config.jwt.keysFile;
  const fix = {
    en: 'Make a key set with pnpm keygen:jwt <file> and set JWT_KEYS_FILE to it (the same file on every instance).',
    zh: '用 pnpm keygen:jwt <文件> 生成密钥集，并把 JWT_KEYS_FILE 设为该文件（所有实例相同）。',
  };
  if (!file)
    return finding(
      'oidc.keys',
      'fail',
      {
        en: 'JWT_KEYS_FILE is unset: the provider signs id_tokens with its keys, so the BFF does not start',
        zh: '未设置 JWT_KEYS_FILE：提供方用其中的密钥签发 id_token，BFF 无法启动',
      },
      fix,
    );
  if (
    config.demo &&
    !(await access(file).then(
      () => true,
      () => false,
    ))
  )
    return finding('oidc.keys', 'ok', {
      en: `demo mode: ${file} is made at the first start`,
      zh: `演示模式：${file} 在首次启动时生成`,
    });
  let keys: JWK[];
  try {
    keys = (await readKeySet(file, false)).keys;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return finding('oidc.keys', 'fail', { en: err.problems.join('; '), zh: err.problems.join('；') }, fix);
  }
  for (const key of keys) {
    const signs = await signsAndVerifies(key);
    if (!signs)
      return finding(
        'oidc.keys',
        'fail',
        {
          en: `JWT_KEYS_FILE: key ${key.kid} cannot sign a token its public half verifies (a damaged key)`,
          zh: `JWT_KEYS_FILE：密钥 ${key.kid} 签出的令牌无法用其公钥验证（密钥已损坏）`,
        },
        fix,
      );
  }
  return finding('oidc.keys', 'ok', {
    en: `JWT_KEYS_FILE: ${keys.length} key(s), ${keys[0]!.kid} signs (ES256); each signs a token its public half verifies`,
    zh: `JWT_KEYS_FILE：${keys.length} 个密钥，由 ${keys[0]!.kid} 签名（ES256）；每个密钥签出的令牌都可用其公钥验证`,
  });
}

/** The key signs a token (ES256) that its public half verifies: d, x and y are one key. */
async function signsAndVerifies(key: JWK): Promise<boolean> {
  const { d: _private, ...publicHalf } = key;
  try {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(await importJWK(key, 'ES256'));
    await jwtVerify(jwt, await importJWK(publicHalf, 'ES256'));
    return true;
  } catch {
    return false;
  }
}

/** Discovery through PUBLIC_URL, as a client finds it: the issuer expected, and https endpoints under https. */
async function checkIssuer(deps: Deps): Promise<Finding> {
  const { publicUrl } = deps.config;
  const issuer = `${publicUrl}${OIDC_PATH}`;
  const url = `${issuer}${DISCOVERY}`;
  const answer = await request(deps.fetch, url, { headers: { accept: 'application/json' } }, deps.timeoutMs);
  const site = new URL(publicUrl).host;
  if (!answer.ok || answer.res.status !== 200) {
    const why = answer.ok ? `HTTP ${answer.res.status}` : answer.why;
    return finding(
      'oidc.issuer',
      'fail',
      { en: `cannot read ${shown(url)}: ${why}`, zh: `无法读取 ${shown(url)}：${why}` },
      answer.ok && answer.res.status === 404
        ? {
            en: "Have nginx pass /oidc/ to the BFF (nginx.conf's location ^~ /oidc/), and start the BFF with this OIDC_CLIENTS_FILE.",
            zh: '让 nginx 把 /oidc/ 转发给 BFF（nginx.conf 的 location ^~ /oidc/），并用此 OIDC_CLIENTS_FILE 启动 BFF。',
          }
        : {
            en: `Start the site (nginx and the BFF) and make sure ${site} resolves to it from here.`,
            zh: `启动站点（nginx 与 BFF），并确认在本机 ${site} 解析到该站点。`,
          },
    );
  }
  let doc: Record<string, unknown> | null = null;
  try {
    doc = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not JSON: judged below with a document that has no issuer.
  }
  if (typeof doc?.issuer !== 'string')
    return finding(
      'oidc.issuer',
      'fail',
      {
        en: `${shown(url)} answered something that is not a discovery document: /oidc/ does not reach the BFF`,
        zh: `${shown(url)} 的响应不是发现文档：/oidc/ 没有转发到 BFF`,
      },
      {
        en: "Have nginx pass /oidc/ to the BFF (nginx.conf's location ^~ /oidc/).",
        zh: '让 nginx 把 /oidc/ 转发给 BFF（nginx.conf 的 location ^~ /oidc/）。',
      },
    );
  if (doc.issuer !== issuer)
    return finding(
      'oidc.issuer',
      'fail',
      {
        en: `the provider says issuer ${doc.issuer}, clients expect ${issuer}: every id_token would be refused`,
        zh: `提供方声明的 issuer 为 ${doc.issuer}，客户端期望 ${issuer}：所有 id_token 都会被拒绝`,
      },
      {
        en: 'Run the BFF with the PUBLIC_URL users open (the same on every instance) and run preflight with that environment.',
        zh: '用用户访问的 PUBLIC_URL 运行 BFF（所有实例相同），并用同一环境运行 preflight。',
      },
      { issuer: String(doc.issuer) },
    );
  const endpoints = Object.entries(doc).filter(
    (entry): entry is [string, string] =>
      (entry[0].endsWith('_endpoint') || entry[0] === 'jwks_uri') && typeof entry[1] === 'string',
  );
  const http = publicUrl.startsWith('https:') ? endpoints.filter(([, value]) => !value.startsWith('https:')) : [];
  if (http.length)
    return finding(
      'oidc.issuer',
      'fail',
      {
        en: `PUBLIC_URL is https, but discovery advertises http: ${http.map(([name, value]) => `${name} ${shown(value)}`).join(', ')}`,
        zh: `PUBLIC_URL 是 https，但发现文档给出 http 地址：${http.map(([name]) => name).join('、')}`,
      },
      {
        en: 'Serve the provider through the BFF behind nginx.conf (it writes the public scheme from PUBLIC_URL), not another server.',
        zh: '通过 nginx.conf 后面的 BFF 提供 OIDC（它按 PUBLIC_URL 写出对外协议），而不是其他服务器。',
      },
    );
  return finding(
    'oidc.issuer',
    'ok',
    {
      en: `discovery through PUBLIC_URL: issuer ${issuer}, ${endpoints.length} endpoints${publicUrl.startsWith('https:') ? ', all https' : ''}`,
      zh: `经 PUBLIC_URL 读取发现文档：issuer ${issuer}，${endpoints.length} 个端点${publicUrl.startsWith('https:') ? '，全部 https' : ''}`,
    },
    undefined,
    { issuer },
  );
}
