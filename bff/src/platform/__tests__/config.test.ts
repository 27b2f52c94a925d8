import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { REAL_ENV } from '../../__tests__/harness.js';
import { DEMO_MESSAGE_AES_KEY, DEMO_MESSAGE_TOKEN } from '../demoDefaults.js';

const REAL = REAL_ENV;

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('loadConfig', () => {
  it('runs in demo mode when WX_APPID is unset, with the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      demo: true,
      port: 8080,
      publicUrl: 'http://localhost:8080',
      secure: false,
      databaseUrl: 'sqlite:./data/wxauth.db',
      sms: { provider: 'console' },
    });
  });

  it('is frozen once validated: nothing rewrites it afterwards', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
    expect(Object.isFrozen(loadConfig(REAL))).toBe(true);
  });

  it('accepts a complete real configuration', () => {
    const config = loadConfig({ ...REAL, PUBLIC_URL: 'https://h5.example.com' });
    expect(config).toMatchObject({ demo: false, secure: true, publicUrl: 'https://h5.example.com' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'h5.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://h5.example.com/app' }, 'PUBLIC_URL'],
    [{ WX_APPID: 'wx123' }, 'WX_APPID'],
    [{ WX_APPSECRET: '' }, 'WX_APPSECRET'],
    [{ WX_APPSECRET: 'short' }, 'WX_APPSECRET'],
    [{ SESSION_SECRET: '' }, 'SESSION_SECRET'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ INTERNAL_API_TOKEN: '' }, 'INTERNAL_API_TOKEN'],
    [{ SMS_PROVIDER: 'console' }, 'SMS_PROVIDER'],
    [{ SMS_PROVIDER: 'carrier-pigeon' }, 'SMS_PROVIDER'],
    [{ SMS_WEBHOOK_URL: '' }, 'SMS_WEBHOOK_URL'],
    [{ SMS_WEBHOOK_URL: 'ftp://x' }, 'SMS_WEBHOOK_URL'],
    [{ DATABASE_URL: 'postgres://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://u:p@db:3306' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://u:p@db:3306/' }, 'DATABASE_URL'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://' }, 'REDIS_URL'],
    [{ WX_TOKEN_API: 'client_credential' }, 'WX_TOKEN_API'],
    [{ WX_JSSDK_ORIGINS: 'trade.example.com' }, 'WX_JSSDK_ORIGINS'],
    [{ WX_JSSDK_ORIGINS: 'https://trade.example.com/path' }, 'WX_JSSDK_ORIGINS'],
    [{ WX_JSSDK_ORIGINS: 'http://trade.example.com' }, 'WX_JSSDK_ORIGINS'],
    [{ WX_API_BASE: 'not a url' }, 'WX_API_BASE'],
    [{ WX_TIMEOUT_MS: '0' }, 'WX_TIMEOUT_MS'],
    [{ SESSION_IDLE_MINUTES: '-5' }, 'SESSION_IDLE_MINUTES'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PROFILE_TOKEN_KEY: 'not-32-bytes' }, 'PROFILE_TOKEN_KEY'],
    [{ PROFILE_REFRESH_HOURS: '0' }, 'PROFILE_REFRESH_HOURS'],
    [{ WX_WEBSITE_APPID: 'wxNOTHEX' }, 'WX_WEBSITE_APPID'],
    [{ WX_PROXY_ALLOWED_HOSTS: '*.example.com' }, 'WX_PROXY_ALLOWED_HOSTS'],
  ])('%j is reported by the name %s', (override, name) => {
    const found = problems({ ...REAL, ...override });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('reports every problem at once, and never echoes a secret', () => {
    const found = problems({ WX_APPID: 'wx0123456789abcdef', WX_APPSECRET: 'leaked-secret-value', PORT: 'x' });
    expect(found.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'WX_APPSECRET', 'SESSION_SECRET', 'INTERNAL_API_TOKEN', 'SMS_PROVIDER']),
    );
    expect(found.join('\n')).not.toContain('leaked-secret-value');
  });

  it('takes MySQL and Redis for several instances, and never echoes their passwords', () => {
    const config = loadConfig({
      ...REAL,
      DATABASE_URL: 'mysql://wxauth:db-password-1@db.internal:3306/wxauth',
      REDIS_URL: 'redis://:redis-password-1@cache.internal:6379/2',
      WX_TOKEN_API: 'token',
    });
    expect(config).toMatchObject({ redisUrl: 'redis://:redis-password-1@cache.internal:6379/2', tokenApi: 'token' });
    expect(loadConfig(REAL)).toMatchObject({ redisUrl: null, tokenApi: 'stable_token', databasePoolSize: 10 });
    const found = problems({ ...REAL, DATABASE_URL: 'mysql://u:db-password-2@db', REDIS_URL: 'redis:x-password-3' });
    expect(found).toHaveLength(2);
    expect(found.join('\n')).not.toMatch(/password-/);
  });

  it('refuses an appsecret without an appid rather than silently running the demo', () => {
    expect(problems({ WX_APPSECRET: REAL.WX_APPSECRET })).toEqual(['WX_APPID: required when WX_APPSECRET is set']);
  });
});

describe('TRUST_PROXY', () => {
  it('takes IP addresses and the word loopback', () => {
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.5' }).trustedProxies).toEqual(['127.0.0.1', '::1', '10.0.0.5']);
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(problems({ ...REAL, TRUST_PROXY: '1' })).toEqual([
      'TRUST_PROXY: expected IP addresses or "loopback", got "1"',
    ]);
  });
});

describe("the host system's accounts", () => {
  const SECRET = 'h'.repeat(32);
  const webhook = { ...REAL, CUSTOMER_DIRECTORY: 'webhook', DIRECTORY_URL: 'https://accounts.example.com/wxauth' };

  it('defaults to the built-in table, SMS binding and no events', () => {
    expect(loadConfig(REAL).accounts).toEqual({
      directory: { kind: 'builtin' },
      bindMethods: ['sms'],
      hostSecrets: [],
      eventsUrl: null,
    });
  });

  it.each([
    'http://accounts:8080/wxauth',
    'http://10.1.2.3/wxauth',
    'http://192.168.0.9/x',
    'http://127.0.0.1:9/x',
    'http://[::1]:9/x',
  ])('takes plain http to an address of your own network: %s', (url) => {
    expect(problems({ ...webhook, HOST_SIGNING_SECRET: SECRET, DIRECTORY_URL: url })).toEqual([]);
  });

  it('takes a webhook directory with its secret, both binding methods and an events URL', () => {
    const config = loadConfig({
      ...webhook,
      HOST_SIGNING_SECRET: `${SECRET}, ${'o'.repeat(40)}`,
      BIND_METHODS: 'password,sms',
      EVENTS_WEBHOOK_URL: 'https://accounts.example.com/wxauth/events',
      DIRECTORY_UNKNOWN_PHONE: 'create',
    });
    expect(config.accounts).toEqual({
      directory: {
        kind: 'webhook',
        url: 'https://accounts.example.com/wxauth',
        unknownPhone: 'create',
        unknownPhoneMessage: '该手机号尚未注册，请先注册或使用账号密码登录',
        timeoutMs: 3000,
      },
      bindMethods: ['password', 'sms'],
      hostSecrets: [SECRET, 'o'.repeat(40)],
      eventsUrl: 'https://accounts.example.com/wxauth/events',
    });
  });

  it.each([
    [
      { CUSTOMER_DIRECTORY: 'ldap' },
      'CUSTOMER_DIRECTORY: expected "builtin" (wxauth\'s own table) or "webhook", got "ldap"',
    ],
    [
      { CUSTOMER_DIRECTORY: 'webhook', HOST_SIGNING_SECRET: SECRET },
      'DIRECTORY_URL: required when CUSTOMER_DIRECTORY is "webhook" (the base of …/customers/lookup)',
    ],
    [
      { CUSTOMER_DIRECTORY: 'webhook', DIRECTORY_URL: 'https://a.example.com' },
      'HOST_SIGNING_SECRET: required when CUSTOMER_DIRECTORY is "webhook" (at least 32 characters)',
    ],
    [
      { ...webhook, HOST_SIGNING_SECRET: 'short' },
      'HOST_SIGNING_SECRET: each secret must be at least 32 characters long (value not shown)',
    ],
    [
      { BIND_METHODS: 'password' },
      'BIND_METHODS: "password" needs CUSTOMER_DIRECTORY=webhook (the host system checks passwords; wxauth keeps none)',
    ],
    [{ BIND_METHODS: 'sms,qq' }, 'BIND_METHODS: expected sms, password or both ("sms,password"), got "sms,qq"'],
    [
      { EVENTS_WEBHOOK_URL: 'https://a.example.com/events' },
      'HOST_SIGNING_SECRET: required when EVENTS_WEBHOOK_URL is set (at least 32 characters)',
    ],
    [
      { EVENTS_WEBHOOK_URL: 'https://user:pw@a.example.com/events', HOST_SIGNING_SECRET: SECRET },
      'EVENTS_WEBHOOK_URL: expected an http(s) URL with no query, fragment or credentials (value not shown)',
    ],
    [{ DIRECTORY_URL: 'https://a.example.com' }, 'DIRECTORY_URL: only used when CUSTOMER_DIRECTORY is "webhook"'],
    [
      { ...webhook, HOST_SIGNING_SECRET: SECRET, DIRECTORY_URL: 'http://accounts.example.com/wxauth' },
      'DIRECTORY_URL: must be https, or http to an address of your own network (value not shown)',
    ],
    [
      { EVENTS_WEBHOOK_URL: 'http://203.0.113.5/events', HOST_SIGNING_SECRET: SECRET },
      'EVENTS_WEBHOOK_URL: must be https, or http to an address of your own network (value not shown)',
    ],
    [
      { ...webhook, HOST_SIGNING_SECRET: SECRET, DIRECTORY_UNKNOWN_PHONE: 'ignore' },
      'DIRECTORY_UNKNOWN_PHONE: expected "refuse" or "create", got "ignore"',
    ],
  ])('%j: %s', (env, problem) => {
    expect(problems({ ...REAL, ...env })).toEqual([problem]);
  });
});

describe('docs/docker-compose.yml', () => {
  it("gives the BFF a configuration it accepts, from the example .env's values", () => {
    const docs = new URL('../../../../docs/', import.meta.url);
    const example = Object.fromEntries(
      readFileSync(new URL('wxauth.env.example', docs), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const compose = readFileSync(new URL('docker-compose.yml', docs), 'utf8');
    const block = compose.slice(compose.indexOf('x-bff:'), compose.indexOf('services:'));
    const environment = block.slice(block.indexOf('environment:'), block.indexOf('depends_on:'));
    const env = Object.fromEntries(
      [...environment.matchAll(/^ {4}([A-Z_]+): (.+)$/gm)].map(([, name, raw]) => [
        name!,
        raw!.replace(/^'(.*)'$/, '$1').replace(/\$\{(\w+)\}/g, (_, v: string) => example[v] ?? ''),
      ]),
    );
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'TRUST_PROXY']));
    // The example's appsecret is a placeholder: give it the right shape, the rest stays as written.
    const config = loadConfig({ ...env, WX_APPSECRET: 'a'.repeat(32) });
    expect(config).toMatchObject({ demo: false, host: '0.0.0.0', trustedProxies: ['172.28.0.10'] });
    expect(config.databaseUrl).toMatch(/^mysql:\/\/wxauth:.+@mysql:3306\/wxauth$/);
    expect(config.redisUrl).toMatch(/^redis:\/\/:.+@redis:6379\/0$/);
  });
});

describe('demo mode and NODE_ENV=production', () => {
  const PROD = { NODE_ENV: 'production' };
  const DEMO_SECRET = 'demo-only-secret-never-use-in-production-0000';

  it.each<Record<string, string>>([{}, { WX_APPID: '' }, { WX_APPID: '  ' }])(
    'refuses to start the demo by accident (%j)',
    (env) => {
      expect(problems({ ...PROD, ...env })).toEqual([
        expect.stringMatching(/^WX_APPID: required when NODE_ENV is production.*WXAUTH_DEMO=1/),
      ]);
    },
  );

  it.each(['Production', 'prod', 'staging'])('NODE_ENV=%s counts as production too', (NODE_ENV) => {
    expect(problems({ NODE_ENV })).toEqual([expect.stringMatching(/^WX_APPID: required when NODE_ENV is production/)]);
  });

  it.each(['development', 'test', 'Test'])('NODE_ENV=%s runs the demo as before', (NODE_ENV) => {
    expect(loadConfig({ NODE_ENV }).demo).toBe(true);
  });

  it('starts the demo when asked for, with secrets of its own, never the public ones', () => {
    const a = loadConfig({ ...PROD, WXAUTH_DEMO: '1' });
    const b = loadConfig({ ...PROD, WXAUTH_DEMO: '1' });
    expect(a.demo).toBe(true);
    for (const c of [a, b]) {
      expect(c.sessionSecret).not.toBe(DEMO_SECRET);
      expect(c.internalApiToken).not.toBe(DEMO_SECRET);
      expect(c.profileTokenKey!.equals(Buffer.alloc(32, 7))).toBe(false);
    }
    expect(a.sessionSecret).not.toBe(b.sessionSecret);
  });

  it('outside production the demo keeps its fixed secrets, so a restart keeps its sessions', () => {
    expect(loadConfig({}).sessionSecret).toBe(DEMO_SECRET);
  });

  it.each([
    [{ ...PROD, WXAUTH_DEMO: '1', SESSION_SECRET: DEMO_SECRET }, 'SESSION_SECRET'],
    [{ ...PROD, WXAUTH_DEMO: '1', INTERNAL_API_TOKEN: DEMO_SECRET }, 'INTERNAL_API_TOKEN'],
    [{ ...REAL, SESSION_SECRET: DEMO_SECRET }, 'SESSION_SECRET'],
    [{ ...REAL, INTERNAL_API_TOKEN: DEMO_SECRET }, 'INTERNAL_API_TOKEN'],
    [{ ...REAL, PROFILE_TOKEN_KEY: '07'.repeat(32) }, 'PROFILE_TOKEN_KEY'],
  ])('refuses the public demo secret as a real one (%#)', (env, name) => {
    expect(problems(env)).toEqual([expect.stringMatching(new RegExp(`^${name}: is the public demo value`))]);
  });

  it('says what is wrong with WXAUTH_DEMO', () => {
    expect(problems({ WXAUTH_DEMO: 'yes' })).toEqual([expect.stringMatching(/^WXAUTH_DEMO: expected 1/)]);
    expect(problems({ ...REAL, WXAUTH_DEMO: '1' })).toEqual([
      expect.stringMatching(/^WXAUTH_DEMO: 1 asks for the demo/),
    ]);
  });
});

describe('the message endpoint (WX_MESSAGE_*)', () => {
  const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

  it('is off without a token in real mode, on with the demo values in demo mode', () => {
    expect(loadConfig(REAL).messages).toBeNull();
    expect(loadConfig({}).messages).toMatchObject({ token: DEMO_MESSAGE_TOKEN, aesKeys: [DEMO_MESSAGE_AES_KEY] });
    const productionDemo = loadConfig({ NODE_ENV: 'production', WXAUTH_DEMO: '1' }).messages!;
    expect(productionDemo.token).not.toBe(DEMO_MESSAGE_TOKEN);
    expect(productionDemo.aesKeys[0]).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(productionDemo.aesKeys[0]).not.toBe(DEMO_MESSAGE_AES_KEY);
  });

  it('takes the token, the keys new,old and the forward URL', () => {
    const config = loadConfig({
      ...REAL,
      WX_MESSAGE_TOKEN: 'pamtest',
      WX_MESSAGE_AES_KEYS: `${KEY}, ${KEY.toLowerCase()}`,
      WX_MESSAGE_FORWARD_URL: 'http://wechat-handler:8000/wechat',
    });
    expect(config.messages).toEqual({
      token: 'pamtest',
      aesKeys: [KEY, KEY.toLowerCase()],
      forwardUrl: 'http://wechat-handler:8000/wechat',
    });
  });

  it('names each problem, never showing the token or a key', () => {
    const found = problems({
      ...REAL,
      WX_MESSAGE_TOKEN: 'a-b',
      WX_MESSAGE_AES_KEYS: `${KEY}x`,
      WX_MESSAGE_FORWARD_URL: 'http://handler.example.com/wechat',
    });
    expect(found).toEqual([
      expect.stringMatching(/^WX_MESSAGE_TOKEN: expected 3 to 32 letters and digits/),
      expect.stringMatching(/^WX_MESSAGE_AES_KEYS: each key must be 43 letters and digits/),
      expect.stringMatching(/^WX_MESSAGE_FORWARD_URL: must be https/),
    ]);
    expect(found.join()).not.toContain(KEY);
    expect(problems({ ...REAL, WX_MESSAGE_AES_KEYS: KEY })).toEqual([
      'WX_MESSAGE_AES_KEYS: only used with WX_MESSAGE_TOKEN (the message endpoint is off)',
    ]);
    expect(
      problems({ ...REAL, WX_MESSAGE_TOKEN: DEMO_MESSAGE_TOKEN, WX_MESSAGE_AES_KEYS: DEMO_MESSAGE_AES_KEY }),
    ).toEqual([
      expect.stringMatching(/^WX_MESSAGE_TOKEN: is the public demo value/),
      expect.stringMatching(/^WX_MESSAGE_AES_KEYS: is the public demo value/),
    ]);
  });
});

describe('desktop login through the Official Account (FOLLOW_LOGIN)', () => {
  const WITH_ENDPOINT = { ...REAL, WX_MESSAGE_TOKEN: 'followtest' };

  it('is off by default, on in demo mode (whose simulator pushes to the demo message endpoint)', () => {
    expect(loadConfig(WITH_ENDPOINT).follow).toBeNull();
    expect(loadConfig({}).follow).toMatchObject({ confirm: true, ttlSeconds: 300 });
    expect(loadConfig({ FOLLOW_LOGIN: '0' }).follow).toBeNull();
  });

  it('takes the confirm step, the reply and the life of a code', () => {
    const config = loadConfig({
      ...WITH_ENDPOINT,
      FOLLOW_LOGIN: '1',
      FOLLOW_LOGIN_TTL_SECONDS: '120',
      FOLLOW_LOGIN_REPLY_TEXT: '登录{site}？<a href="{link}">确认</a>',
    });
    expect(config.follow).toEqual({
      confirm: true,
      replyText: '登录{site}？<a href="{link}">确认</a>',
      ttlSeconds: 120,
    });
    expect(loadConfig({ ...WITH_ENDPOINT, FOLLOW_LOGIN: '1', FOLLOW_LOGIN_CONFIRM: '0' }).follow?.confirm).toBe(false);
  });

  it("needs the message endpoint, WeChat's only way of telling the scan", () => {
    expect(problems({ ...REAL, FOLLOW_LOGIN: '1' })).toEqual([
      "FOLLOW_LOGIN: 1 needs the message endpoint: set WX_MESSAGE_TOKEN (the MP backend's 服务器配置 Token)",
    ]);
  });

  it('refuses a reply without the confirm link while the confirm step is on, and unknown placeholders', () => {
    const on = { ...WITH_ENDPOINT, FOLLOW_LOGIN: '1' };
    expect(problems({ ...on, FOLLOW_LOGIN_REPLY_TEXT: '请确认' })).toEqual([
      'FOLLOW_LOGIN_REPLY_TEXT: needs {link} (the confirm page) while FOLLOW_LOGIN_CONFIRM=1',
    ]);
    expect(problems({ ...on, FOLLOW_LOGIN_CONFIRM: '0', FOLLOW_LOGIN_REPLY_TEXT: '请确认' })).toEqual([]);
    expect(problems({ ...on, FOLLOW_LOGIN_REPLY_TEXT: '{name} {link}' })).toEqual([
      expect.stringMatching(/^FOLLOW_LOGIN_REPLY_TEXT: unknown placeholder \{name\}/),
    ]);
    expect(problems({ ...on, FOLLOW_LOGIN_TTL_SECONDS: '10' })).toEqual([
      expect.stringMatching(/^FOLLOW_LOGIN_TTL_SECONDS: expected a whole number from 60 to 1800/),
    ]);
  });
});
