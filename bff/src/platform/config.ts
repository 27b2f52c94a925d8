import { randomBytes } from 'node:crypto';
import { BIND_METHODS, ERROR_MESSAGES, type BindMethod } from '@wxauth/contract';
import { isIP } from 'node:net';
import { parseAllowedHosts } from './hosts.js';
import { DEMO_PROFILE_KEY, DEMO_SECRET, demoJwtKeysFile } from './demoDefaults.js';
import { parseKey } from './sealer.js';

/** Who the BFF is to WeChat, and where WeChat is: the operator's settings, or the demo's simulator. */
export interface WechatApps {
  official: { appid: string; secret: string };
  /** Open Platform website app (PC QR login); without its secret, only the proxy's device=pc uses it. */
  website: { appid: string; secret: string | null } | null;
  openBase: string;
  apiBase: string;
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
  /** Identity tokens: the private JWK Set (JWT_KEYS_FILE; the demo makes one), their audience and life. */
  jwt: { keysFile: string | null; audience: string; ttlSeconds: number };
  /** Whose customers these are: the built-in table, or the host system's directory; and what it hears. */
  accounts: AccountsConfig;
  logLevel: string;
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

const LOOPBACK = ['127.0.0.1', '::1'];

function trustedProxies(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const entries = raw.split(',').map((e) => e.trim());
  const addresses = entries.flatMap((e) => (e === 'loopback' ? LOOPBACK : [e]));
  const bad = addresses.filter((a) => isIP(a) === 0);
  if (bad.length) problems.push(`TRUST_PROXY: expected IP addresses or "loopback", got "${bad.join(', ')}"`);
  return addresses;
}

function validUrl(raw: string, protocols: string[]): URL | undefined {
  try {
    const url = new URL(raw);
    return protocols.includes(url.protocol) && url.hostname && !url.hash ? url : undefined;
  } catch {
    return undefined;
  }
}

function validDatabaseUrl(raw: string): boolean {
  if (/^sqlite:.+/.test(raw)) return true;
  const url = validUrl(raw, ['mysql:']);
  return url !== undefined && /^\/[A-Za-z0-9_$-]+$/.test(url.pathname);
}

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const origin = (name: string, fallback: string) => {
    const raw = get(name) ?? fallback;
    try {
      const url = new URL(raw);
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash)
        throw new Error();
      return url.origin;
    } catch {
      problems.push(`${name}: expected an http(s) origin with no path, like https://h5.example.com, got "${raw}"`);
      return fallback;
    }
  };
  const secret = (name: string, demo: boolean) => {
    const value = get(name);
    if (value === undefined) {
      // A production demo (WXAUTH_DEMO=1) gets secrets of its own, new at every start.
      if (demo) return production ? randomBytes(32).toString('base64url') : DEMO_SECRET;
      problems.push(`${name}: required (at least 32 characters) when WX_APPID is set`);
      return '';
    }
    if (value.length < 32) problems.push(`${name}: must be at least 32 characters long`);
    if (value === DEMO_SECRET && (production || !demo))
      problems.push(`${name}: is the public demo value from the source code; set a random one`);
    return value;
  };

  const port = int('PORT', 8080, 0, 65535);
  const appid = get('WX_APPID');
  const demo = appid === undefined;
  // The images set NODE_ENV=production: there an empty WX_APPID (compose passes `${WX_APPID}`) must not
  // quietly start the demo, with its SMS inbox and public secrets. The demo has to be asked for.
  // Any NODE_ENV but development and test counts (Production, prod, staging): a guard that a typo defeats is none.
  const nodeEnv = get('NODE_ENV')?.toLowerCase();
  const production = nodeEnv !== undefined && nodeEnv !== 'development' && nodeEnv !== 'test';
  const demoAsked = get('WXAUTH_DEMO');
  if (demoAsked !== undefined && demoAsked !== '0' && demoAsked !== '1')
    problems.push(`WXAUTH_DEMO: expected 1 (run the demo on the simulator) or 0, got "${demoAsked}"`);
  if (demo && production && demoAsked !== '1' && !get('WX_APPSECRET'))
    problems.push(
      'WX_APPID: required when NODE_ENV is production (or any value but development and test), with WX_APPSECRET; to run the demo on the simulator on purpose, set WXAUTH_DEMO=1',
    );
  if (!demo && demoAsked === '1') problems.push('WXAUTH_DEMO: 1 asks for the demo, but WX_APPID is set; unset one');
  if (demo && get('WX_APPSECRET')) problems.push('WX_APPID: required when WX_APPSECRET is set');
  if (appid !== undefined && !/^wx[0-9a-f]{16}$/.test(appid))
    problems.push(`WX_APPID: expected "wx" and 16 hex digits, got "${appid}"`);
  const appsecret = get('WX_APPSECRET');
  if (!demo && !appsecret) problems.push('WX_APPSECRET: required when WX_APPID is set');
  if (appsecret && !/^[0-9A-Za-z]{32}$/.test(appsecret) && !demo)
    problems.push('WX_APPSECRET: expected 32 letters and digits (value not shown)');

  const publicUrl = origin('PUBLIC_URL', `http://localhost:${port}`);
  const databaseUrl = get('DATABASE_URL') ?? 'sqlite:./data/wxauth.db';
  if (!validDatabaseUrl(databaseUrl))
    problems.push('DATABASE_URL: expected sqlite:<path> or mysql://user:password@host:port/database (value not shown)');
  const redisUrl = get('REDIS_URL') ?? null;
  if (redisUrl !== null && !validUrl(redisUrl, ['redis:', 'rediss:']))
    problems.push('REDIS_URL: expected redis://[user:password@]host:port[/db] or rediss://… (value not shown)');
  const keyPrefix = get('REDIS_KEY_PREFIX');
  if (keyPrefix !== undefined && !/^[A-Za-z0-9:_.-]{1,64}$/.test(keyPrefix))
    problems.push('REDIS_KEY_PREFIX: expected up to 64 letters, digits and : _ . -');
  const unionidBeforeBind = get('WX_UNIONID_BEFORE_BIND') ?? '0';
  if (unionidBeforeBind !== '0' && unionidBeforeBind !== '1')
    problems.push(
      `WX_UNIONID_BEFORE_BIND: expected 1 (profile consent before binding, for the unionid) or 0, got "${unionidBeforeBind}"`,
    );
  const tokenApi = get('WX_TOKEN_API') ?? 'stable_token';
  if (tokenApi !== 'stable_token' && tokenApi !== 'token')
    problems.push(`WX_TOKEN_API: expected "stable_token" or "token", got "${tokenApi}"`);

  const provider = get('SMS_PROVIDER') ?? (demo ? 'console' : undefined);
  if (provider === undefined) problems.push('SMS_PROVIDER: required when WX_APPID is set ("webhook")');
  else if (provider !== 'console' && provider !== 'webhook')
    problems.push(`SMS_PROVIDER: expected "console" or "webhook", got "${provider}"`);
  if (provider === 'console' && !demo)
    problems.push('SMS_PROVIDER: "console" only shows codes in demo mode; use "webhook" with real credentials');
  const webhookUrl = get('SMS_WEBHOOK_URL');
  if (provider === 'webhook') {
    if (!webhookUrl) problems.push('SMS_WEBHOOK_URL: required when SMS_PROVIDER is "webhook"');
    else if (!/^https?:\/\//.test(webhookUrl)) problems.push('SMS_WEBHOOK_URL: expected an http(s) URL');
  }

  const websiteAppid = get('WX_WEBSITE_APPID');
  if (websiteAppid !== undefined && !/^wx[0-9a-f]{16}$/.test(websiteAppid))
    problems.push(`WX_WEBSITE_APPID: expected "wx" and 16 hex digits, got "${websiteAppid}"`);
  const allowed = parseAllowedHosts(get('WX_PROXY_ALLOWED_HOSTS') ?? (demo ? 'localhost' : ''));
  if (allowed.bad.length)
    problems.push(
      `WX_PROXY_ALLOWED_HOSTS: expected hosts or .suffixes like passport.example.com,.example.com; bad: ${allowed.bad.join(', ')}`,
    );
  const proxyPublicUrl = get('WX_PROXY_PUBLIC_URL') === undefined ? null : origin('WX_PROXY_PUBLIC_URL', '');

  const rawKey = get('PROFILE_TOKEN_KEY');
  const demoKey = production ? randomBytes(32) : DEMO_PROFILE_KEY;
  const profileTokenKey = rawKey === undefined ? (demo ? demoKey : null) : (parseKey(rawKey) ?? null);
  if (rawKey !== undefined && !profileTokenKey)
    problems.push('PROFILE_TOKEN_KEY: expected 32 bytes as 64 hex digits or base64 (value not shown)');
  if (profileTokenKey?.equals(DEMO_PROFILE_KEY) && rawKey !== undefined && (production || !demo))
    problems.push('PROFILE_TOKEN_KEY: is the public demo value from the source code; set a random one');

  const accounts = accountsConfig(get, int, problems);

  const jssdkOrigins = [publicUrl];
  for (const raw of (get('WX_JSSDK_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    const url = validUrl(raw, ['https:', 'http:']);
    if (!url || url.origin !== raw.replace(/\/$/, '') || (url.protocol === 'http:' && !demo))
      problems.push(`WX_JSSDK_ORIGINS: expected https origins like https://trade.example.com, got "${raw}"`);
    else if (!jssdkOrigins.includes(url.origin)) jssdkOrigins.push(url.origin);
  }

  const settings: Settings = {
    port,
    host: get('HOST') ?? '127.0.0.1',
    publicUrl,
    secure: publicUrl.startsWith('https:'),
    wechatTimeoutMs: int('WX_TIMEOUT_MS', 5000, 100, 60_000),
    unionidBeforeBind: unionidBeforeBind === '1',
    proxy: { allowedHosts: allowed.hosts, publicUrl: proxyPublicUrl },
    databaseUrl,
    databasePoolSize: int('DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl,
    redisKeyPrefix: keyPrefix ?? 'wxauth:',
    tokenApi: tokenApi === 'token' ? 'token' : 'stable_token',
    jssdkOrigins,
    sessionSecret: secret('SESSION_SECRET', demo),
    internalApiToken: secret('INTERNAL_API_TOKEN', demo),
    session: {
      idleMs: int('SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30) * 60_000,
      absoluteMs: int('SESSION_ABSOLUTE_HOURS', 24 * 7, 1, 24 * 365) * 3600_000,
    },
    sms:
      provider === 'webhook'
        ? { provider: 'webhook', webhookUrl: webhookUrl ?? '', webhookToken: get('SMS_WEBHOOK_TOKEN') }
        : { provider: 'console' },
    trustedProxies: trustedProxies(get('TRUST_PROXY'), problems),
    profileTokenKey,
    profileRefreshMs: int('PROFILE_REFRESH_HOURS', 24, 1, 24 * 29) * 3600_000,
    jwt: {
      keysFile: get('JWT_KEYS_FILE') ?? (demo ? demoJwtKeysFile(databaseUrl) : null),
      audience: get('JWT_AUDIENCE') ?? publicUrl,
      ttlSeconds: int('JWT_TTL_SECONDS', 300, 30, 3600),
    },
    accounts,
    logLevel: get('LOG_LEVEL') ?? 'info',
  };
  const config: Config = demo
    ? { ...settings, demo: true, simulatorPort: int('WXSIM_PORT', port === 0 ? 0 : port + 1, 0, 65535) }
    : {
        ...settings,
        demo: false,
        sms: settings.sms.provider === 'webhook' ? settings.sms : { provider: 'webhook', webhookUrl: '' },
        apps: {
          official: { appid: appid ?? '', secret: appsecret ?? '' },
          website: websiteAppid ? { appid: websiteAppid, secret: get('WX_WEBSITE_APPSECRET') ?? null } : null,
          openBase: origin('WX_OPEN_BASE', 'https://open.weixin.qq.com'),
          apiBase: origin('WX_API_BASE', 'https://api.weixin.qq.com'),
        },
      };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel))
    problems.push(`LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent`);
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Loopback, a private address, or a name without a dot (a container's or a host's on your network). */
export function internalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || (!host.includes('.') && !host.includes(':'))) return true;
  if (isIP(host) === 6) return host === '::1' || /^f[cd]/.test(host);
  const [a, b] = host.split('.').map(Number);
  if (isIP(host) !== 4) return false;
  return a === 127 || a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168);
}

const DEFAULT_UNKNOWN_PHONE_MESSAGE = ERROR_MESSAGES.PHONE_NOT_REGISTERED;

function accountsConfig(
  get: (name: string) => string | undefined,
  int: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): AccountsConfig {
  const kind = get('CUSTOMER_DIRECTORY') ?? 'builtin';
  if (kind !== 'builtin' && kind !== 'webhook')
    problems.push(`CUSTOMER_DIRECTORY: expected "builtin" (wxauth's own table) or "webhook", got "${kind}"`);

  const hostSecrets = (get('HOST_SIGNING_SECRET') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (hostSecrets.some((s) => s.length < 32))
    problems.push('HOST_SIGNING_SECRET: each secret must be at least 32 characters long (value not shown)');
  if (hostSecrets.length > 2)
    problems.push('HOST_SIGNING_SECRET: at most two secrets, the new one first (value not shown)');
  const needSecret = (what: string) => {
    if (!hostSecrets.length) problems.push(`HOST_SIGNING_SECRET: required when ${what} (at least 32 characters)`);
  };

  const httpUrl = (name: string) => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash && !url.username) {
        // Passwords and phones travel in these calls: plain http only inside your own network.
        if (url.protocol === 'http:' && !internalHost(url.hostname))
          problems.push(`${name}: must be https, or http to an address of your own network (value not shown)`);
        return url.href.replace(/\/$/, '');
      }
    } catch {
      // reported below
    }
    problems.push(`${name}: expected an http(s) URL with no query, fragment or credentials (value not shown)`);
    return undefined;
  };

  let directory: DirectoryConfig = { kind: 'builtin' };
  if (kind === 'webhook') {
    const url = httpUrl('DIRECTORY_URL');
    if (get('DIRECTORY_URL') === undefined)
      problems.push('DIRECTORY_URL: required when CUSTOMER_DIRECTORY is "webhook" (the base of …/customers/lookup)');
    needSecret('CUSTOMER_DIRECTORY is "webhook"');
    const unknownPhone = get('DIRECTORY_UNKNOWN_PHONE') ?? 'refuse';
    if (unknownPhone !== 'create' && unknownPhone !== 'refuse')
      problems.push(`DIRECTORY_UNKNOWN_PHONE: expected "refuse" or "create", got "${unknownPhone}"`);
    const message = get('DIRECTORY_UNKNOWN_PHONE_MESSAGE') ?? DEFAULT_UNKNOWN_PHONE_MESSAGE;
    if (message.length > 200) problems.push('DIRECTORY_UNKNOWN_PHONE_MESSAGE: at most 200 characters');
    directory = {
      kind: 'webhook',
      url: url ?? '',
      unknownPhone: unknownPhone === 'create' ? 'create' : 'refuse',
      unknownPhoneMessage: message,
      timeoutMs: int('DIRECTORY_TIMEOUT_MS', 3000, 100, 30_000),
    };
  } else {
    for (const name of ['DIRECTORY_URL', 'DIRECTORY_UNKNOWN_PHONE', 'DIRECTORY_UNKNOWN_PHONE_MESSAGE'])
      if (get(name) !== undefined) problems.push(`${name}: only used when CUSTOMER_DIRECTORY is "webhook"`);
  }

  const methods = (get('BIND_METHODS') ?? 'sms').split(',').map((m) => m.trim());
  const bad = methods.filter((m) => !(BIND_METHODS as readonly string[]).includes(m));
  if (bad.length || new Set(methods).size !== methods.length)
    problems.push(`BIND_METHODS: expected sms, password or both ("sms,password"), got "${methods.join(',')}"`);
  const bindMethods = [...new Set(methods.filter((m): m is BindMethod => !bad.includes(m)))];
  if (bindMethods.includes('password') && kind !== 'webhook')
    problems.push(
      'BIND_METHODS: "password" needs CUSTOMER_DIRECTORY=webhook (the host system checks passwords; wxauth keeps none)',
    );

  const eventsUrl = httpUrl('EVENTS_WEBHOOK_URL') ?? null;
  if (eventsUrl) needSecret('EVENTS_WEBHOOK_URL is set');

  return { directory, bindMethods: bindMethods.length ? bindMethods : ['sms'], hostSecrets, eventsUrl };
}
