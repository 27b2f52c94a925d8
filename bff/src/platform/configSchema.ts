import { isIP } from 'node:net';
import { BIND_METHODS, ERROR_MESSAGES, type BindMethod } from '@wxauth/contract';
import * as v from 'valibot';
import { parseAllowedHosts } from './hosts.js';
import { parseKey } from './sealer.js';

/**
 * Every environment variable the BFF reads, one valibot schema per section. Each variable's schema says
 * what it takes (its problems are named by it), its fixed default (`v.optional`'s), and, in its pipe,
 * what the docs say of it: `v.description`, `v.examples`, and `v.metadata` for the rest (`About`).
 * loadConfig (config.ts) reads them and adds the rules between variables; `pnpm config:docs` writes
 * docs/wxauth.env.example and the tables of docs/reference/configuration.md from them.
 */

/** What a variable's pipe carries for its readers, beyond what it takes. */
interface About {
  /** One line of English (Markdown), as the configuration reference shows it. */
  description: string;
  /** A value for the example environment file; a placeholder for a secret. */
  example: string;
  /** The default in words, when it is not one fixed value: `http://localhost:$PORT`, "required with …". */
  default?: string;
  /** A secret, or a URL that carries one: never shown in a problem, a placeholder in the example. */
  secret?: boolean;
}

export interface VariableDocs {
  name: string;
  description: string;
  example: string;
  /** In words; empty when the variable is simply unset by default. */
  default: string;
  secret: boolean;
}

/**
 * A variable: its checks and parse (`schema`, on the trimmed value), its default when unset (a value it
 * takes, checked and parsed like one given), and what the docs say of it.
 */
function variable<T>(
  about: About,
  schema: v.GenericSchema<string, T>,
): v.GenericSchema<string | undefined, T | undefined>;
function variable<T>(
  about: About,
  schema: v.GenericSchema<string, T>,
  fallback: string,
): v.GenericSchema<string | undefined, T>;
function variable<T>(about: About, schema: v.GenericSchema<string, T>, fallback?: string) {
  return v.pipe(
    v.optional(schema as v.GenericSchema<string, unknown>, fallback),
    v.description(about.description),
    v.examples([about.example]),
    v.metadata({ default: about.default, secret: about.secret ?? false }),
  ) as v.GenericSchema<string | undefined, unknown>;
}

/** A check that says what is wrong in words of its own, or nothing. */
const judged = (judge: (value: string) => string | undefined) =>
  v.rawCheck<string>(({ dataset, addIssue }) => {
    const message = dataset.typed ? judge(dataset.value) : undefined;
    if (message !== undefined) addIssue({ message });
  });

/** Takes any value, as it is. */
const text = v.string();

const whole = (min: number, max: number) =>
  v.pipe(
    v.string(),
    judged((raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n >= min && n <= max
        ? undefined
        : `expected a whole number from ${min} to ${max}, got "${raw}"`;
    }),
    v.transform(Number),
  );

const oneOf = <const T extends string>(values: readonly T[], expected: (raw: string) => string) =>
  v.pipe(
    v.string(),
    judged((raw) => ((values as readonly string[]).includes(raw) ? undefined : expected(raw))),
    v.transform((raw) => raw as T),
  );

const flag = (expected: (raw: string) => string) =>
  v.pipe(
    oneOf(['0', '1'], expected),
    v.transform((raw) => raw === '1'),
  );

function httpOrigin(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash)
      return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** An http(s) origin, no path: `https://h5.example.com`. */
const origin = v.pipe(
  v.string(),
  judged((raw) =>
    httpOrigin(raw) === undefined
      ? `expected an http(s) origin with no path, like https://h5.example.com, got "${raw}"`
      : undefined,
  ),
  v.transform((raw) => httpOrigin(raw)!),
);

function validUrl(raw: string, protocols: string[]): URL | undefined {
  try {
    const url = new URL(raw);
    return protocols.includes(url.protocol) && url.hostname && !url.hash ? url : undefined;
  } catch {
    return undefined;
  }
}

const APPID = /^wx[0-9a-f]{16}$/;
const appid = v.pipe(
  v.string(),
  judged((raw) => (APPID.test(raw) ? undefined : `expected "wx" and 16 hex digits, got "${raw}"`)),
);

/** A secret string of 32 characters or more. */
const longSecret = v.pipe(
  v.string(),
  judged((raw) => (raw.length < 32 ? 'must be at least 32 characters long' : undefined)),
);

/** Loopback, a private address, or a name without a dot (a container's or a host's on your network). */
function internalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || (!host.includes('.') && !host.includes(':'))) return true;
  if (isIP(host) === 6) return host === '::1' || /^f[cd]/.test(host);
  const [a, b] = host.split('.').map(Number);
  if (isIP(host) !== 4) return false;
  return a === 127 || a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168);
}

/**
 * The host system's endpoints: passwords and phones travel in these calls, so plain http only inside your
 * network; no query, fragment or credentials.
 */
const judgedHostUrl = judged((raw) => {
  try {
    const url = new URL(raw);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash && !url.username)
      return url.protocol === 'http:' && !internalHost(url.hostname)
        ? 'must be https, or http to an address of your own network (value not shown)'
        : undefined;
  } catch {
    // said below
  }
  return 'expected an http(s) URL with no query, fragment or credentials (value not shown)';
});

/** A base URL of the host's, its trailing slash left off (paths are added to it). */
const hostUrl = v.pipe(
  v.string(),
  judgedHostUrl,
  v.transform((raw) => new URL(raw).href.replace(/\/$/, '')),
);

/** A URL of the host's called as it is: its path kept exactly, a trailing slash too. */
const exactHostUrl = v.pipe(
  v.string(),
  judgedHostUrl,
  v.transform((raw) => new URL(raw).href),
);

const LOOPBACK = ['127.0.0.1', '::1'];
const commaList = (raw: string) => raw.split(',').map((e) => e.trim());

const DEFAULT_UNKNOWN_PHONE_MESSAGE = ERROR_MESSAGES.PHONE_NOT_REGISTERED;

const server = v.object({
  PORT: variable(
    { description: 'where the BFF listens: its port (0: any free one)', example: '8080' },
    whole(0, 65535),
    '8080',
  ),
  HOST: variable({ description: 'where the BFF listens: its address', example: '0.0.0.0' }, text, '127.0.0.1'),
  PUBLIC_URL: variable(
    {
      description:
        'the H5 origin users see; `redirect_uri` is `PUBLIC_URL/auth`; https makes cookies `Secure` and `__Host-`',
      example: 'https://h5.example.com',
      default: '`http://localhost:$PORT`',
    },
    origin,
  ),
  TRUST_PROXY: variable(
    {
      description:
        "nginx's addresses (or `loopback`): only their `X-Forwarded-*` headers give the client IP and scheme",
      example: '172.28.0.10',
      default: "unset: nobody's",
    },
    v.pipe(
      v.string(),
      v.transform((raw) => commaList(raw).flatMap((e) => (e === 'loopback' ? LOOPBACK : [e]))),
      v.rawCheck(({ dataset, addIssue }) => {
        const bad = dataset.typed ? dataset.value.filter((a) => isIP(a) === 0) : [];
        if (bad.length) addIssue({ message: `expected IP addresses or "loopback", got "${bad.join(', ')}"` });
      }),
    ),
  ),
});

const mode = v.object({
  NODE_ENV: variable(
    {
      description:
        '`production` (the bff image sets it), or any value but `development` and `test`: an unset or empty `WX_APPID` stops start-up instead of running the demo',
      example: 'production',
    },
    text,
  ),
  WXAUTH_DEMO: variable(
    {
      description:
        '`1` runs the demo on the simulator on purpose, even with `NODE_ENV=production` (with secrets made new at each start)',
      example: '1',
    },
    oneOf(['0', '1'], (raw) => `expected 1 (run the demo on the simulator) or 0, got "${raw}"`),
  ),
  WXSIM_PORT: variable(
    { description: "demo mode: the simulator's port", example: '8081', default: '`PORT + 1` (`0` when `PORT` is `0`)' },
    whole(0, 65535),
  ),
});

const wechat = v.object({
  WX_APPID: variable(
    {
      description: 'the Official Account (`wx` + 16 hex digits)',
      example: 'wx0123456789abcdef',
      default: 'unset: demo mode on the simulator',
    },
    appid,
  ),
  WX_APPSECRET: variable(
    {
      description: "the Official Account's appsecret (32 letters and digits)",
      example: 'replace-with-the-32-character-appsecret',
      default: 'required when `WX_APPID` is set',
      secret: true,
    },
    v.pipe(
      v.string(),
      judged((raw) => (/^[0-9A-Za-z]{32}$/.test(raw) ? undefined : 'expected 32 letters and digits (value not shown)')),
    ),
  ),
  WX_WEBSITE_APPID: variable(
    {
      description:
        "the Open Platform website app for [PC QR login](../guide/pc-login.md); without its secret, only the proxy's `device=pc` uses the appid",
      example: 'wxfedcba9876543210',
      default: 'unset: no PC QR login',
    },
    appid,
  ),
  WX_WEBSITE_APPSECRET: variable(
    { description: "the website app's appsecret", example: 'replace-with-the-website-appsecret', secret: true },
    text,
  ),
  WX_MINIPROGRAM_APPID: variable(
    {
      description:
        'a [mini program](../guide/mini-programs.md) that logs in through wxauth (`/api/mp/*`: `wx.login`, the phone number by WeChat, bearer sessions); with its secret',
      example: 'wx00112233445566ff',
      default: 'unset: no mini program login',
    },
    appid,
  ),
  WX_MINIPROGRAM_APPSECRET: variable(
    {
      description: "the mini program's appsecret (required with `WX_MINIPROGRAM_APPID`)",
      example: 'replace-with-the-mini-program-appsecret',
      secret: true,
    },
    text,
  ),
  WX_UNIONID_BEFORE_BIND: variable(
    {
      description:
        "`1`: with a website app configured, a new user gives the profile (`snsapi_userinfo`, WeChat's consent page) once before binding, so the unionid is known and a later PC QR login goes straight home; `0`: silent `snsapi_base` → bind → home",
      example: '1',
    },
    flag((raw) => `expected 1 (profile consent before binding, for the unionid) or 0, got "${raw}"`),
    '0',
  ),
  WX_OPEN_BASE: variable(
    { description: "WeChat's host for the authorization pages", example: 'https://open.weixin.qq.com' },
    origin,
    'https://open.weixin.qq.com',
  ),
  WX_API_BASE: variable(
    { description: "WeChat's host for its API", example: 'https://api.weixin.qq.com' },
    origin,
    'https://api.weixin.qq.com',
  ),
  WX_MP_BASE: variable(
    {
      description:
        "WeChat's host for the Official Account's pages: the image of a login QR code (`/cgi-bin/showqrcode`), which nginx.conf's CSP allows",
      example: 'https://mp.weixin.qq.com',
    },
    origin,
    'https://mp.weixin.qq.com',
  ),
  WX_JSSDK_SCRIPT: variable(
    {
      description:
        "where the H5 app loads WeChat's JS-SDK (`jweixin`) from, given to it by `/api/meta`; nginx.conf's CSP allows WeChat's address (demo mode: the simulator's stand-in)",
      example: 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js',
    },
    v.pipe(
      v.string(),
      judged((raw) =>
        validUrl(raw, ['https:', 'http:']) ? undefined : `expected the script's http(s) address, got "${raw}"`,
      ),
    ),
    'https://res.wx.qq.com/open/js/jweixin-1.6.0.js',
  ),
  WX_TIMEOUT_MS: variable(
    { description: 'timeout of every call to WeChat', example: '5000' },
    whole(100, 60_000),
    '5000',
  ),
  WX_TOKEN_API: variable(
    {
      description: 'how the global `access_token` is fetched: `stable_token` or the older `token`',
      example: 'stable_token',
    },
    oneOf(['stable_token', 'token'], (raw) => `expected "stable_token" or "token", got "${raw}"`),
    'stable_token',
  ),
});

const state = v.object({
  DATABASE_URL: variable(
    {
      description:
        '`sqlite:<path>` or `mysql://user:password@host:3306/database` (MySQL 8, MariaDB 10.6+); migrations run at start',
      example: 'mysql://wxauth:replace-me@mysql:3306/wxauth',
      secret: true,
    },
    v.pipe(
      v.string(),
      judged((raw) => {
        if (/^sqlite:.+/.test(raw)) return undefined;
        const url = validUrl(raw, ['mysql:']);
        return url !== undefined && /^\/[A-Za-z0-9_$-]+$/.test(url.pathname)
          ? undefined
          : 'expected sqlite:<path> or mysql://user:password@host:port/database (value not shown)';
      }),
    ),
    'sqlite:./data/wxauth.db',
  ),
  DATABASE_POOL_SIZE: variable({ description: 'MySQL connections per instance', example: '10' }, whole(1, 200), '10'),
  REDIS_URL: variable(
    {
      description:
        '`redis://[:password@]host:6379[/db]` (or `rediss://`): shared state (flows, sessions, codes, limits, the global token) for several instances',
      example: 'redis://:replace-me@redis:6379/0',
      default:
        'unset: kept in the SQLite file (across restarts), or with MySQL in memory (one instance; a restart signs everyone out)',
      secret: true,
    },
    v.pipe(
      v.string(),
      judged((raw) =>
        validUrl(raw, ['redis:', 'rediss:'])
          ? undefined
          : 'expected redis://[user:password@]host:port[/db] or rediss://… (value not shown)',
      ),
    ),
  ),
  REDIS_KEY_PREFIX: variable(
    { description: 'every Redis key starts with it, so deployments can share a Redis', example: 'wxauth:' },
    v.pipe(
      v.string(),
      judged((raw) =>
        /^[A-Za-z0-9:_.-]{1,64}$/.test(raw) ? undefined : 'expected up to 64 letters, digits and : _ . -',
      ),
    ),
    'wxauth:',
  ),
});

const sessions = v.object({
  SESSION_SECRET: variable(
    {
      description:
        "≥ 32 characters; keys session ids and SMS codes (HMAC); the demo's public value is refused anywhere else",
      example: 'replace-with-at-least-32-random-characters',
      default: 'required when `WX_APPID` is set; a demo value in demo mode',
      secret: true,
    },
    longSecret,
  ),
  SESSION_IDLE_MINUTES: variable(
    { description: 'a session unused this long ends', example: '120' },
    whole(1, 60 * 24 * 30),
    '120',
  ),
  SESSION_ABSOLUTE_HOURS: variable(
    { description: 'a session ends this long after sign-in, used or not', example: '168' },
    whole(1, 24 * 365),
    String(24 * 7),
  ),
  INTERNAL_API_TOKEN: variable(
    {
      description: '≥ 32 characters; the bearer token of `/internal/*`',
      example: 'replace-with-at-least-32-random-characters',
      default: 'required when `WX_APPID` is set; a demo value in demo mode',
      secret: true,
    },
    longSecret,
  ),
  PROFILE_TOKEN_KEY: variable(
    {
      description: "32 bytes (64 hex digits or base64): seals WeChat's user tokens so profiles can be refreshed",
      example: 'replace-with-64-hex-digits',
      default: 'unset: tokens are not kept (a demo key in demo mode)',
      secret: true,
    },
    v.pipe(
      v.string(),
      judged((raw) => (parseKey(raw) ? undefined : 'expected 32 bytes as 64 hex digits or base64 (value not shown)')),
      v.transform((raw) => parseKey(raw)!),
    ),
  ),
  PROFILE_REFRESH_HOURS: variable(
    { description: 'a profile older than this is read again from WeChat', example: '24' },
    whole(1, 24 * 29),
    '24',
  ),
});

const sms = v.object({
  SMS_PROVIDER: variable(
    {
      description: "`console` (demo only: codes show in the demo's inbox) or `webhook`",
      example: 'webhook',
      default: '`console` in demo mode; required when `WX_APPID` is set',
    },
    oneOf(['console', 'webhook'], (raw) => `expected "console" or "webhook", got "${raw}"`),
  ),
  SMS_WEBHOOK_URL: variable(
    {
      description:
        'the webhook receives `POST {phone, code, ttlSeconds, text}` with `Authorization: Bearer <token>`; answer 2xx when sent',
      example: 'https://sms-gateway.internal/send',
      default: 'required when `SMS_PROVIDER` is `webhook`',
    },
    v.pipe(
      v.string(),
      judged((raw) => (/^https?:\/\//.test(raw) ? undefined : 'expected an http(s) URL')),
    ),
  ),
  SMS_WEBHOOK_TOKEN: variable(
    {
      description: "the webhook's bearer token",
      example: 'replace-me',
      default: 'unset: no `Authorization`',
      secret: true,
    },
    text,
  ),
});

const proxy = v.object({
  WX_PROXY_ALLOWED_HOSTS: variable(
    {
      description:
        "hosts the authorization proxy may send codes to: `passport.example.com,.example.com` (a leading dot: that domain's subdomains)",
      example: 'passport.example.com,.example.com',
      default: 'empty: the proxy refuses all (`localhost` in demo mode)',
    },
    v.pipe(
      v.string(),
      v.transform(parseAllowedHosts),
      v.rawCheck(({ dataset, addIssue }) => {
        if (dataset.typed && dataset.value.bad.length)
          addIssue({
            message: `expected hosts or .suffixes like passport.example.com,.example.com; bad: ${dataset.value.bad.join(', ')}`,
          });
      }),
      v.transform((allowed) => allowed.hosts),
    ),
  ),
  WX_PROXY_PUBLIC_URL: variable(
    {
      description: "the proxy's public origin, when its callback must not be derived from the request",
      example: 'https://proxy.example.com',
      default: 'unset: from the request (trusted `X-Forwarded-*`)',
    },
    origin,
  ),
});

/** One entry of WX_JSSDK_ORIGINS: as written (for the problem), and its origin. */
export interface JssdkOrigin {
  entry: string;
  origin: string;
}

const jssdk = v.object({
  WX_JSSDK_ORIGINS: variable(
    {
      description:
        'more https origins whose pages `jssdk-config` signs (each also a JS 接口安全域名 of the Official Account), answered with CORS for exactly those',
      example: 'https://trade.example.com',
      default: "unset: only `PUBLIC_URL`'s",
    },
    v.pipe(
      v.string(),
      v.transform((raw) =>
        commaList(raw)
          .filter(Boolean)
          .map((entry): JssdkOrigin => ({ entry, origin: validUrl(entry, ['https:', 'http:'])?.origin ?? '' })),
      ),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        for (const { entry, origin } of dataset.value)
          if (!origin || origin !== entry.replace(/\/$/, ''))
            addIssue({ message: `expected https origins like https://trade.example.com, got "${entry}"` });
      }),
    ),
  ),
});

const tokens = v.object({
  JWT_KEYS_FILE: variable(
    {
      description:
        'a JWK Set of private P-256 keys (`pnpm keygen:jwt <file>`): the first signs identity tokens, all are published at `/.well-known/jwks.json`',
      example: '/run/secrets/jwt-keys.json',
      default: 'unset: no tokens (the demo makes one beside its database)',
    },
    text,
  ),
  JWT_AUDIENCE: variable(
    { description: "the identity tokens' `aud`", example: 'https://h5.example.com', default: '`PUBLIC_URL`' },
    text,
  ),
  JWT_TTL_SECONDS: variable(
    { description: "the identity tokens' life in seconds", example: '300' },
    whole(30, 3600),
    '300',
  ),
});

/** The Official Account's server URL (`/api/wechat/messages`): what the MP backend's 服务器配置 says. */
const messages = v.object({
  WX_MESSAGE_TOKEN: variable(
    {
      description:
        "the 令牌 (Token) of the Official Account's 服务器配置, 3 to 32 letters and digits: set, `/api/wechat/messages` takes WeChat's pushes (see [the message endpoint](../guide/message-endpoint.md))",
      example: 'replace-with-the-token-of-the-mp-backend',
      default: 'unset: no message endpoint (a demo value in demo mode)',
      secret: true,
    },
    v.pipe(
      v.string(),
      judged((raw) =>
        /^[A-Za-z0-9]{3,32}$/.test(raw) ? undefined : 'expected 3 to 32 letters and digits (value not shown)',
      ),
    ),
  ),
  WX_MESSAGE_AES_KEYS: variable(
    {
      description: 'the EncodingAESKey (43 letters and digits) for 兼容模式 and 安全模式; `new,old` while changing it',
      example: 'replace-with-the-43-character-encodingaeskey-of-mp',
      default: 'unset: plaintext pushes only (a demo value in demo mode)',
      secret: true,
    },
    v.pipe(
      v.string(),
      v.transform((raw) => commaList(raw).filter(Boolean)),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        if (dataset.value.some((k) => !/^[A-Za-z0-9]{43}$/.test(k)))
          addIssue({ message: 'each key must be 43 letters and digits (value not shown)' });
        if (dataset.value.length > 2) addIssue({ message: 'at most two keys, the new one first (value not shown)' });
      }),
    ),
  ),
  WX_MESSAGE_FORWARD_URL: variable(
    {
      description:
        'your existing message handler: every push wxauth does not claim is forwarded there unchanged (query and body), and its reply relayed',
      example: 'http://wechat-handler:8000/wechat',
      default: 'unset: unclaimed pushes are answered `success`',
    },
    // Exactly as given: a handler at /wechat/ answers a POST to /wechat with a redirect (Django, Flask).
    exactHostUrl,
  ),
});

const oidc = v.object({
  OIDC_CLIENTS_FILE: variable(
    {
      description:
        "the OpenID Connect clients (JSON, checked at start): set, wxauth is a provider signing with `JWT_KEYS_FILE`'s keys",
      example: '/run/secrets/oidc-clients.json',
      default: 'unset: no provider',
    },
    text,
  ),
  OIDC_COOKIE_KEYS: variable(
    {
      description: "keys for the provider's own cookies, comma-separated, newest first (at least 32 characters each)",
      example: 'a-random-key-of-at-least-32-characters',
      default: 'one derived from `SESSION_SECRET`',
      secret: true,
    },
    text,
  ),
});

const accounts = v.object({
  CUSTOMER_DIRECTORY: variable(
    {
      description:
        "whose customers these are: `builtin` (wxauth's own table, found or made by the proven phone) or `webhook` (your system's directory, asked over signed HTTP; see [your existing accounts](../guide/your-accounts.md))",
      example: 'webhook',
    },
    oneOf(['builtin', 'webhook'], (raw) => `expected "builtin" (wxauth's own table) or "webhook", got "${raw}"`),
    'builtin',
  ),
  DIRECTORY_URL: variable(
    {
      description: "the directory's base: the BFF POSTs `<url>/customers/lookup` and `<url>/customers/verify`",
      example: 'https://accounts.example.com/wxauth',
      default: 'required with `webhook`',
    },
    hostUrl,
  ),
  DIRECTORY_UNKNOWN_PHONE: variable(
    {
      description:
        "a proven phone your directory does not know: `refuse` (403 `PHONE_NOT_REGISTERED` with the message below) or `create` (a customer of wxauth's own, id `wxauth-<n>`)",
      example: 'refuse',
    },
    oneOf(['refuse', 'create'], (raw) => `expected "refuse" or "create", got "${raw}"`),
    'refuse',
  ),
  DIRECTORY_UNKNOWN_PHONE_MESSAGE: variable(
    { description: 'what a refused phone is told (at most 200 characters)', example: DEFAULT_UNKNOWN_PHONE_MESSAGE },
    v.pipe(
      v.string(),
      judged((raw) => (raw.length > 200 ? 'at most 200 characters' : undefined)),
    ),
    DEFAULT_UNKNOWN_PHONE_MESSAGE,
  ),
  DIRECTORY_TIMEOUT_MS: variable(
    { description: 'timeout of each directory call', example: '3000' },
    whole(100, 30_000),
    '3000',
  ),
  BIND_METHODS: variable(
    {
      description:
        "the bind page's tabs, in order: `sms`, `password` (账号密码登录, checked by your directory; needs `webhook`) or both",
      example: 'sms,password',
    },
    v.pipe(
      v.string(),
      v.transform(commaList),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const methods = dataset.value;
        const bad = methods.filter((m) => !(BIND_METHODS as readonly string[]).includes(m));
        if (bad.length || new Set(methods).size !== methods.length)
          addIssue({ message: `expected sms, password or both ("sms,password"), got "${methods.join(',')}"` });
      }),
      v.transform((methods) => methods as BindMethod[]),
    ),
    'sms',
  ),
  HOST_SIGNING_SECRET: variable(
    {
      description:
        '≥ 32 characters, shared with your system: signs every call to it and every event, verifies its events to us; `new,old` while rotating',
      example: 'replace-with-at-least-32-random-characters',
      default: 'required with `webhook` or events',
      secret: true,
    },
    v.pipe(
      v.string(),
      v.transform((raw) => commaList(raw).filter(Boolean)),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        if (dataset.value.some((s) => s.length < 32))
          addIssue({ message: 'each secret must be at least 32 characters long (value not shown)' });
        if (dataset.value.length > 2) addIssue({ message: 'at most two secrets, the new one first (value not shown)' });
      }),
    ),
  ),
  EVENTS_WEBHOOK_URL: variable(
    {
      description:
        'where binding events are delivered (see [our events to you](../guide/your-accounts.md#our-events-to-you))',
      example: 'https://accounts.example.com/wxauth/events',
      default: 'unset: no events',
    },
    hostUrl,
  ),
});

/** The placeholders FOLLOW_LOGIN_REPLY_TEXT may use. */
export const FOLLOW_REPLY_PLACEHOLDERS = ['site', 'browser', 'os', 'time', 'link'] as const;

const follow = v.object({
  FOLLOW_LOGIN: variable(
    {
      description:
        "`1`: a desktop can log in by scanning the Official Account's QR code and confirming in WeChat (docs/guide/follow-login.md); needs a verified 服务号 and its message endpoint (`WX_MESSAGE_TOKEN`)",
      example: '1',
      default: '`1` in demo mode, else `0`',
    },
    flag((raw) => `expected 1 (login by the Official Account's QR code) or 0, got "${raw}"`),
  ),
  FOLLOW_LOGIN_CONFIRM: variable(
    {
      description:
        '`1`: after the scan the user confirms on the phone before the desktop is signed in; `0` signs the desktop in at the scan, which lets anyone who gets a victim to scan a QR shown on their own page sign in as the victim (QR login-jacking)',
      example: '1',
    },
    flag(
      (raw) => `expected 1 (confirm on the phone) or 0 (sign in at the scan: see the docs for the risk), got "${raw}"`,
    ),
    '1',
  ),
  FOLLOW_LOGIN_REPLY_TEXT: variable(
    {
      description:
        "the account's reply in the user's chat after the scan (WeChat's text; `<a href>` links allowed); placeholders `{site}` (PUBLIC_URL's host), `{browser}`, `{os}`, `{time}` (the desktop's), `{link}` (the confirm page, required while FOLLOW_LOGIN_CONFIRM=1)",
      example: '你正在电脑上登录{site}（{browser}，{os}，{time}）。<a href="{link}">确认登录</a>',
    },
    v.pipe(
      v.string(),
      judged((raw) => {
        const unknown = [...raw.matchAll(/\{(\w+)\}/g)]
          .map((m) => m[1]!)
          .filter((name) => !(FOLLOW_REPLY_PLACEHOLDERS as readonly string[]).includes(name));
        if (unknown.length)
          return `unknown placeholder {${unknown[0]}}; use ${FOLLOW_REPLY_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
        return raw.length > 600 ? 'at most 600 characters (WeChat limits a text reply)' : undefined;
      }),
    ),
    '你正在电脑上登录 {site}（{browser}，{os}，{time}）。<a href="{link}">点此确认登录</a>。如果不是你本人操作，请不要确认。',
  ),
  FOLLOW_LOGIN_TTL_SECONDS: variable(
    { description: "how long a login QR code waits for its scan (the code's `expire_seconds`)", example: '300' },
    whole(60, 1800),
    '300',
  ),
});

const audit = v.object({
  AUDIT_RETENTION_DAYS: variable(
    {
      description:
        'audit rows (binding changes, admin actions, lockouts; see [the admin command](../guide/admin.md#the-audit-trail)) older than this are deleted',
      example: '365',
    },
    whole(1, 3650),
    '365',
  ),
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const logging = v.object({
  LOG_LEVEL: variable(
    { description: "pino's level", example: 'info' },
    oneOf(LOG_LEVELS, () => `expected one of ${LOG_LEVELS.join(', ')}`),
    'info',
  ),
});

/** The sections, in the order the docs show them. */
export const SECTIONS = [
  { title: 'Server', schema: server },
  { title: 'Demo mode and production', schema: mode },
  { title: 'WeChat', schema: wechat },
  { title: 'Database and shared state', schema: state },
  { title: 'Sessions and secrets', schema: sessions },
  { title: 'SMS', schema: sms },
  { title: 'Authorization proxy', schema: proxy },
  { title: 'JS-SDK', schema: jssdk },
  { title: 'Message endpoint', schema: messages },
  { title: 'Identity tokens', schema: tokens },
  { title: 'OpenID Connect provider', schema: oidc },
  { title: 'Login through the Official Account', schema: follow },
  { title: 'Your accounts and events', schema: accounts },
  { title: 'Audit trail', schema: audit },
  { title: 'Logging', schema: logging },
] as const;

type Section = (typeof SECTIONS)[number]['schema'];
type Entries<S> = S extends v.ObjectSchema<infer E, undefined> ? E : never;
type AllEntries = Entries<Section>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type Schemas = UnionToIntersection<AllEntries>;

/** Every variable's name. */
export type Name = keyof Schemas & string;
/** What each variable parses to. */
export type Variables = { [K in Name]: v.InferOutput<Schemas[K]> };

const schemas = Object.fromEntries(SECTIONS.flatMap((s) => Object.entries(s.schema.entries))) as unknown as Record<
  Name,
  v.GenericSchema<string | undefined, unknown>
>;

export const NAMES = Object.keys(schemas) as Name[];

/** What a variable's pipe says of it. */
export function docsOf(name: Name): VariableDocs {
  const schema = schemas[name];
  const { default: said, secret } = v.getMetadata(schema) as { default?: string; secret: boolean };
  const fixed = v.getDefault(schema as v.OptionalSchema<v.GenericSchema, string | undefined>);
  return {
    name,
    description: v.getDescription(schema) ?? '',
    example: String((v.getExamples(schema) as unknown[])[0] ?? ''),
    default: said ?? (fixed === undefined ? '' : `\`${fixed}\``),
    secret,
  };
}

/** The variable a problem of loadConfig's names (each starts with it), and what the docs say of it. */
export function aboutProblem(problem: string): VariableDocs | undefined {
  const name = problem.slice(0, problem.indexOf(':'));
  return (NAMES as string[]).includes(name) ? docsOf(name as Name) : undefined;
}

/** One variable as read: its value (or its default, when it has problems), and its problems, named. */
export interface Reading<T> {
  /** The trimmed value; unset when empty. */
  raw: string | undefined;
  value: T;
  problems: string[];
}

export type Readings = { [K in Name]: Reading<Variables[K]> };

/**
 * Every variable, each on its own: an empty value is unset; a variable with problems reads as its
 * default, so the rules between variables go on and every problem is found in one run.
 */
export function readEnvironment(env: Record<string, string | undefined>): Readings {
  return Object.fromEntries(
    NAMES.map((name) => {
      const raw = env[name]?.trim() || undefined;
      const schema = schemas[name];
      const result = v.safeParse(schema, raw);
      if (result.success) return [name, { raw, value: result.output, problems: [] }];
      const problems = result.issues.map((issue) => `${name}: ${issue.message}`);
      return [name, { raw, value: v.parse(schema, undefined), problems }];
    }),
  ) as Readings;
}
