import { randomBytes } from 'node:crypto';
import type { BindMethod } from '@wxauth/contract';
import { readEnvironment, type Name, type Readings, type Variables } from './configSchema.js';
import {
  DEMO_MESSAGE_AES_KEY,
  DEMO_MESSAGE_TOKEN,
  DEMO_PROFILE_KEY,
  DEMO_SECRET,
  demoJwtKeysFile,
} from './demoDefaults.js';

/** Who the BFF is to WeChat, and where WeChat is: the operator's settings, or the demo's simulator. */
export interface WechatApps {
  official: { appid: string; secret: string };
  /** Open Platform website app (PC QR login); without its secret, only the proxy's device=pc uses it. */
  website: { appid: string; secret: string | null } | null;
  /** The mini program that logs in through /api/mp/* (features/miniprogram); null: that room is off. */
  miniprogram?: { appid: string; secret: string } | null;
  openBase: string;
  apiBase: string;
  /** WeChat's host for the Official Account's pages (showqrcode), as the browser reaches it. */
  mpBase?: string;
  /** jweixin's address, for the H5 app (/api/meta). */
  jssdkScript?: string;
}

/** What both modes have. Environment → validated configuration; every problem is named by its variable. */
interface Settings {
  port: number;
  host: string;
  /** Origin users see, without a trailing slash: `https://h5.example.com`. */
  publicUrl: string;
  secure: boolean;
  wechatTimeoutMs: number;
  /** WX_UNIONID_BEFORE_BIND=1: a new user gives the profile (snsapi_userinfo) before binding, for the unionid. */
  unionidBeforeBind: boolean;
  proxy: {
    /** Normalised entries of WX_PROXY_ALLOWED_HOSTS: hosts, or `.suffix` for subdomains. */
    allowedHosts: string[];
    /** The proxy's public origin, when its callback must not be derived from the request. */
    publicUrl: string | null;
  };
  /** `sqlite:<path>` or `mysql://user:password@host:port/database`. Never logged whole. */
  databaseUrl: string;
  databasePoolSize: number;
  /** Shared state for several instances; null: in-process (one instance only). */
  redisUrl: string | null;
  redisKeyPrefix: string;
  /** How the global access_token is fetched: stable_token (default) or the older cgi-bin/token. */
  tokenApi: 'stable_token' | 'token';
  /** Origins whose pages jssdk-config signs: PUBLIC_URL's, and WX_JSSDK_ORIGINS (its JS接口安全域名). */
  jssdkOrigins: string[];
  sessionSecret: string;
  internalApiToken: string;
  session: { idleMs: number; absoluteMs: number };
  sms: { provider: 'console' } | { provider: 'webhook'; webhookUrl: string; webhookToken?: string };
  /** Peers whose X-Forwarded-* headers are believed (the reverse proxy); empty: nobody's. */
  trustedProxies: string[];
  /** PROFILE_TOKEN_KEY: seals WeChat tokens kept for profile refresh; null: tokens are not kept. */
  profileTokenKey: Buffer | null;
  profileRefreshMs: number;
  /** Audit rows older than this are deleted. */
  auditRetentionMs: number;
  /** Identity tokens: the private JWK Set (JWT_KEYS_FILE; the demo makes one), their audience and life. */
  jwt: { keysFile: string | null; audience: string; ttlSeconds: number };
  /** The OpenID Connect provider (features/oidc): its clients file, null when off, and its cookie keys. */
  oidc: { clientsFile: string | null; cookieKeys: string[] | null };
  /** Login through the Official Account (features/follow): null when off. */
  follow: FollowConfig | null;
  /** Whose customers these are: the built-in table, or the host system's directory; and what it hears. */
  accounts: AccountsConfig;
  /** The Official Account's message endpoint (WX_MESSAGE_TOKEN); null: off. */
  messages: MessagesConfig | null;
  logLevel: string;
  /** NODE_ENV is set to anything but development and test (the images set production). */
  production: boolean;
}

export interface FollowConfig {
  /** Confirm on the phone before the desktop is signed in (FOLLOW_LOGIN_CONFIRM). */
  confirm: boolean;
  /** The reply after a scan, with its {placeholders}. */
  replyText: string;
  /** How long a QR code waits for its scan. */
  ttlSeconds: number;
}

/** The customer directory: wxauth's own table, or the host system's, asked over signed HTTP. */
export type DirectoryConfig =
  | { kind: 'builtin' }
  | {
      kind: 'webhook';
      /** The base: `<url>/customers/lookup` and `<url>/customers/verify`. */
      url: string;
      /** A phone the host does not know: a customer is created here, or the binding is refused. */
      unknownPhone: 'create' | 'refuse';
      unknownPhoneMessage: string;
      timeoutMs: number;
    };

/** What the MP backend's 服务器配置 says: the Token, the EncodingAESKeys (newest first), and the handler kept. */
export interface MessagesConfig {
  token: string;
  /** Empty: plaintext mode only (a push with encrypt_type=aes is refused). */
  aesKeys: string[];
  /** The company's existing handler: unclaimed pushes go there unchanged. */
  forwardUrl: string | null;
}

export interface AccountsConfig {
  directory: DirectoryConfig;
  /** The bind page's ways, in order (BIND_METHODS). */
  bindMethods: BindMethod[];
  /** HOST_SIGNING_SECRET: the first signs; any of them verifies (the old one while a new one rolls out). */
  hostSecrets: string[];
  /** Where events are delivered; null: none are written. */
  eventsUrl: string | null;
}

/** Real WeChat: the Official Account (and website app) the operator configured. */
export interface RealConfig extends Settings {
  demo: false;
  apps: WechatApps;
  sms: { provider: 'webhook'; webhookUrl: string; webhookToken?: string };
}

/** The demo (no WX_APPID): WeChat is the simulator, started on `simulatorPort` with the demo's apps. */
export interface DemoConfig extends Settings {
  demo: true;
  simulatorPort: number;
}

/** Frozen once validated: nothing rewrites it; the demo's simulator gives its apps separately. */
export type Config = Readonly<RealConfig> | Readonly<DemoConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * The environment → the configuration, or a ConfigError naming every problem by its variable. Each
 * variable is checked by its schema (configSchema.ts); what follows are the rules between variables,
 * and the defaults that depend on the mode. A variable's own problems count only where it is used:
 * WX_API_BASE is not looked at in demo mode, DIRECTORY_TIMEOUT_MS only with a webhook directory.
 */
export function loadConfig(env: Env): Config {
  const read = readEnvironment(env);
  const problems: string[] = [];
  const problem = (name: Name, text: string) => problems.push(`${name}: ${text}`);
  const raw = (name: Name) => read[name].raw;
  const use = <K extends Name>(name: K): Variables[K] => {
    problems.push(...read[name].problems);
    return read[name].value;
  };

  const port = use('PORT');
  const demo = raw('WX_APPID') === undefined;
  // The images set NODE_ENV=production: there an empty WX_APPID (compose passes `${WX_APPID}`) must not
  // quietly start the demo, with its SMS inbox and public secrets. The demo has to be asked for.
  // Any NODE_ENV but development and test counts (Production, prod, staging): a guard that a typo defeats is none.
  const nodeEnv = use('NODE_ENV')?.toLowerCase();
  const production = nodeEnv !== undefined && nodeEnv !== 'development' && nodeEnv !== 'test';
  const demoAsked = use('WXAUTH_DEMO');
  if (demo && production && demoAsked !== '1' && raw('WX_APPSECRET') === undefined)
    problem(
      'WX_APPID',
      'required when NODE_ENV is production (or any value but development and test), with WX_APPSECRET; to run the demo on the simulator on purpose, set WXAUTH_DEMO=1',
    );
  if (!demo && demoAsked === '1') problem('WXAUTH_DEMO', '1 asks for the demo, but WX_APPID is set; unset one');
  if (demo && raw('WX_APPSECRET') !== undefined) problem('WX_APPID', 'required when WX_APPSECRET is set');
  const appid = use('WX_APPID');
  if (!demo && raw('WX_APPSECRET') === undefined) problem('WX_APPSECRET', 'required when WX_APPID is set');
  const appsecret = demo ? undefined : use('WX_APPSECRET');

  const publicUrl = use('PUBLIC_URL') ?? `http://localhost:${port}`;
  const databaseUrl = use('DATABASE_URL');
  const redisUrl = use('REDIS_URL') ?? null;
  const redisKeyPrefix = use('REDIS_KEY_PREFIX');
  const unionidBeforeBind = use('WX_UNIONID_BEFORE_BIND');
  const tokenApi = use('WX_TOKEN_API');

  const provider = use('SMS_PROVIDER') ?? (demo ? 'console' : undefined);
  if (!demo && raw('SMS_PROVIDER') === undefined) problem('SMS_PROVIDER', 'required when WX_APPID is set ("webhook")');
  if (provider === 'console' && !demo)
    problem('SMS_PROVIDER', '"console" only shows codes in demo mode; use "webhook" with real credentials');
  let webhookUrl: string | undefined;
  if (provider === 'webhook') {
    if (raw('SMS_WEBHOOK_URL') === undefined) problem('SMS_WEBHOOK_URL', 'required when SMS_PROVIDER is "webhook"');
    else webhookUrl = use('SMS_WEBHOOK_URL');
  }

  const websiteAppid = use('WX_WEBSITE_APPID');
  const mpAppid = use('WX_MINIPROGRAM_APPID');
  const mpSecret = use('WX_MINIPROGRAM_APPSECRET');
  if (mpAppid && raw('WX_MINIPROGRAM_APPSECRET') === undefined)
    problem('WX_MINIPROGRAM_APPSECRET', 'required when WX_MINIPROGRAM_APPID is set');
  if (!mpAppid && raw('WX_MINIPROGRAM_APPSECRET') !== undefined)
    problem('WX_MINIPROGRAM_APPID', 'required when WX_MINIPROGRAM_APPSECRET is set');
  const allowedHosts = use('WX_PROXY_ALLOWED_HOSTS') ?? (demo ? ['localhost'] : []);
  const proxyPublicUrl = use('WX_PROXY_PUBLIC_URL') ?? null;

  const key = use('PROFILE_TOKEN_KEY');
  // A production demo (WXAUTH_DEMO=1) gets keys of its own, new at every start.
  const demoKey = production ? randomBytes(32) : DEMO_PROFILE_KEY;
  const profileTokenKey = raw('PROFILE_TOKEN_KEY') === undefined ? (demo ? demoKey : null) : (key ?? null);
  if (key?.equals(DEMO_PROFILE_KEY) && (production || !demo))
    problem('PROFILE_TOKEN_KEY', 'is the public demo value from the source code; set a random one');

  const secret = (name: 'SESSION_SECRET' | 'INTERNAL_API_TOKEN') => {
    if (raw(name) === undefined) {
      if (demo) return production ? randomBytes(32).toString('base64url') : DEMO_SECRET;
      problem(name, 'required (at least 32 characters) when WX_APPID is set');
      return '';
    }
    const value = use(name) ?? '';
    if (raw(name) === DEMO_SECRET && (production || !demo))
      problem(name, 'is the public demo value from the source code; set a random one');
    return value;
  };

  const accounts = accountsConfig(read, use, problem);
  const messages = messagesConfig(read, use, problem, { demo, production });
  const follow = followConfig(read, use, problem, { demo, messages: messages !== null });

  // Plain http is the simulator's (and a developer's): real WeChat signs for https pages only.
  const jssdkOrigins = [publicUrl];
  for (const { entry, origin } of use('WX_JSSDK_ORIGINS') ?? [])
    if (origin.startsWith('http:') && !demo)
      problem('WX_JSSDK_ORIGINS', `expected https origins like https://trade.example.com, got "${entry}"`);
    else if (!jssdkOrigins.includes(origin)) jssdkOrigins.push(origin);

  const settings: Settings = {
    port,
    host: use('HOST'),
    publicUrl,
    secure: publicUrl.startsWith('https:'),
    wechatTimeoutMs: use('WX_TIMEOUT_MS'),
    unionidBeforeBind,
    proxy: { allowedHosts, publicUrl: proxyPublicUrl },
    databaseUrl,
    databasePoolSize: use('DATABASE_POOL_SIZE'),
    redisUrl,
    redisKeyPrefix,
    tokenApi,
    jssdkOrigins,
    sessionSecret: secret('SESSION_SECRET'),
    internalApiToken: secret('INTERNAL_API_TOKEN'),
    session: {
      idleMs: use('SESSION_IDLE_MINUTES') * 60_000,
      absoluteMs: use('SESSION_ABSOLUTE_HOURS') * 3600_000,
    },
    sms:
      provider === 'webhook'
        ? { provider: 'webhook', webhookUrl: webhookUrl ?? '', webhookToken: use('SMS_WEBHOOK_TOKEN') }
        : { provider: 'console' },
    trustedProxies: use('TRUST_PROXY') ?? [],
    profileTokenKey,
    profileRefreshMs: use('PROFILE_REFRESH_HOURS') * 3600_000,
    auditRetentionMs: use('AUDIT_RETENTION_DAYS') * 24 * 3600_000,
    jwt: {
      keysFile: use('JWT_KEYS_FILE') ?? (demo ? demoJwtKeysFile(databaseUrl) : null),
      audience: use('JWT_AUDIENCE') ?? publicUrl,
      ttlSeconds: use('JWT_TTL_SECONDS'),
    },
    oidc: {
      clientsFile: use('OIDC_CLIENTS_FILE') ?? null,
      cookieKeys:
        use('OIDC_COOKIE_KEYS')
          ?.split(',')
          .map((k) => k.trim()) ?? null,
    },
    follow,
    accounts,
    messages,
    logLevel: use('LOG_LEVEL'),
    production,
  };
  const config: Config = demo
    ? { ...settings, demo: true, simulatorPort: use('WXSIM_PORT') ?? (port === 0 ? 0 : port + 1) }
    : {
        ...settings,
        demo: false,
        sms: settings.sms.provider === 'webhook' ? settings.sms : { provider: 'webhook', webhookUrl: '' },
        apps: {
          official: { appid: appid ?? '', secret: appsecret ?? '' },
          website: websiteAppid ? { appid: websiteAppid, secret: use('WX_WEBSITE_APPSECRET') ?? null } : null,
          miniprogram: mpAppid && mpSecret ? { appid: mpAppid, secret: mpSecret } : null,
          openBase: use('WX_OPEN_BASE'),
          apiBase: use('WX_API_BASE'),
          mpBase: use('WX_MP_BASE'),
          jssdkScript: use('WX_JSSDK_SCRIPT'),
        },
      };
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * The message endpoint: on with WX_MESSAGE_TOKEN. The demo has its own (public) token and key, which its
 * simulator is configured with; a production demo makes new ones at each start; real mode refuses them.
 */
function messagesConfig(
  read: Readings,
  use: <K extends Name>(name: K) => Variables[K],
  problem: (name: Name, text: string) => void,
  mode: { demo: boolean; production: boolean },
): MessagesConfig | null {
  const token = use('WX_MESSAGE_TOKEN');
  const aesKeys = use('WX_MESSAGE_AES_KEYS') ?? [];
  const forwardUrl = use('WX_MESSAGE_FORWARD_URL') ?? null;
  if (token === undefined && !read.WX_MESSAGE_TOKEN.problems.length) {
    if (mode.demo)
      return mode.production
        ? {
            token: randomBytes(16).toString('hex'),
            aesKeys: [
              randomBytes(32)
                .toString('base64')
                .replace(/[^A-Za-z0-9]/g, 'A')
                .slice(0, 43),
            ],
            forwardUrl,
          }
        : { token: DEMO_MESSAGE_TOKEN, aesKeys: aesKeys.length ? aesKeys : [DEMO_MESSAGE_AES_KEY], forwardUrl };
    for (const name of ['WX_MESSAGE_AES_KEYS', 'WX_MESSAGE_FORWARD_URL'] as const)
      if (read[name].raw !== undefined) problem(name, 'only used with WX_MESSAGE_TOKEN (the message endpoint is off)');
    return null;
  }
  if (!mode.demo || mode.production) {
    if (token === DEMO_MESSAGE_TOKEN)
      problem('WX_MESSAGE_TOKEN', 'is the public demo value from the source code; use the one of your MP backend');
    if (aesKeys.includes(DEMO_MESSAGE_AES_KEY))
      problem('WX_MESSAGE_AES_KEYS', 'is the public demo value from the source code; use the one of your MP backend');
  }
  return { token: token ?? '', aesKeys, forwardUrl };
}

/** The directory, the bind page's ways and the events: which variables count depends on CUSTOMER_DIRECTORY. */
function accountsConfig(
  read: Readings,
  use: <K extends Name>(name: K) => Variables[K],
  problem: (name: Name, text: string) => void,
): AccountsConfig {
  const kind = use('CUSTOMER_DIRECTORY');
  const hostSecrets = use('HOST_SIGNING_SECRET');
  const needSecret = (what: string) => {
    // Secrets with problems of their own are named already.
    if (!hostSecrets?.length && !read.HOST_SIGNING_SECRET.problems.length)
      problem('HOST_SIGNING_SECRET', `required when ${what} (at least 32 characters)`);
  };

  let directory: DirectoryConfig = { kind: 'builtin' };
  if (kind === 'webhook') {
    const url = use('DIRECTORY_URL');
    if (read.DIRECTORY_URL.raw === undefined)
      problem('DIRECTORY_URL', 'required when CUSTOMER_DIRECTORY is "webhook" (the base of …/customers/lookup)');
    needSecret('CUSTOMER_DIRECTORY is "webhook"');
    directory = {
      kind: 'webhook',
      url: url ?? '',
      unknownPhone: use('DIRECTORY_UNKNOWN_PHONE'),
      unknownPhoneMessage: use('DIRECTORY_UNKNOWN_PHONE_MESSAGE'),
      timeoutMs: use('DIRECTORY_TIMEOUT_MS'),
    };
  } else {
    for (const name of ['DIRECTORY_URL', 'DIRECTORY_UNKNOWN_PHONE', 'DIRECTORY_UNKNOWN_PHONE_MESSAGE'] as const)
      if (read[name].raw !== undefined) problem(name, 'only used when CUSTOMER_DIRECTORY is "webhook"');
  }

  const bindMethods = use('BIND_METHODS');
  // As written, so that a list with a typo is still told what "password" needs.
  if (read.BIND_METHODS.raw?.split(',').some((m) => m.trim() === 'password') && kind !== 'webhook')
    problem(
      'BIND_METHODS',
      '"password" needs CUSTOMER_DIRECTORY=webhook (the host system checks passwords; wxauth keeps none)',
    );

  const eventsUrl = use('EVENTS_WEBHOOK_URL') ?? null;
  if (read.EVENTS_WEBHOOK_URL.raw !== undefined) needSecret('EVENTS_WEBHOOK_URL is set');

  return { directory, bindMethods, hostSecrets: hostSecrets ?? [], eventsUrl };
}

/**
 * FOLLOW_LOGIN and its settings, looked at only when it is on: on by default in demo mode, whose
 * simulator pushes the scans to the demo's message endpoint. WeChat tells of the scan only through the
 * message endpoint, so it needs one.
 */
function followConfig(
  read: Readings,
  use: <K extends Name>(name: K) => Variables[K],
  problem: (name: Name, text: string) => void,
  mode: { demo: boolean; messages: boolean },
): FollowConfig | null {
  const on = read.FOLLOW_LOGIN.raw === undefined ? mode.demo : use('FOLLOW_LOGIN');
  if (!on) return null;
  if (!mode.messages && !read.WX_MESSAGE_TOKEN.problems.length)
    problem('FOLLOW_LOGIN', "1 needs the message endpoint: set WX_MESSAGE_TOKEN (the MP backend's 服务器配置 Token)");
  const confirm = use('FOLLOW_LOGIN_CONFIRM');
  const replyText = use('FOLLOW_LOGIN_REPLY_TEXT');
  if (confirm && !replyText.includes('{link}'))
    problem('FOLLOW_LOGIN_REPLY_TEXT', 'needs {link} (the confirm page) while FOLLOW_LOGIN_CONFIRM=1');
  return { confirm, replyText, ttlSeconds: use('FOLLOW_LOGIN_TTL_SECONDS') };
}
