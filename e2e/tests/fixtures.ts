import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  type WorkerFixture,
} from '@playwright/test';
import { startCluster } from '../cluster.mjs';
import { startHostService } from '../host-service.mjs';
import { startSites } from '../sites.mjs';
import { startRp } from '../oidc-rp.mjs';
import { prepareApache } from '../apache-rp.mjs';
import { startHostStandIn, type HostStandIn } from '../../scripts/host-stand-in.mjs';
import { freePorts, startStack } from '../stack.mjs';

export type Stack = Awaited<ReturnType<typeof startStack>>;
export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/**
 * The stacks the specs run against, each started on free ports by the first test of a worker that
 * asks for it (worker fixtures are lazy) and stopped with the worker: a project starts only its own.
 */
type Stacks = {
  /** Configured like production with the simulator as WeChat: the WeChat-browser journeys. */
  real: Stack;
  /** What `pnpm start` runs: the desktop journeys. */
  demo: Stack;
  /**
   * Production-like with a PC website app too, and the profile step before binding switched on: the QR
   * login and unionid journeys. (The demo stack has a website app with that step off, the default.)
   */
  pc: Stack;
  /** The authorization proxy on proxy.example.test, for the two sites. */
  proxied: Stack;
  /** Two sites on passport. and trade.example.test that log users in through the proxy. */
  sites: Awaited<ReturnType<typeof startSites>>;
  /** Two BFF instances behind nginx on a real MariaDB and Redis. */
  cluster: Cluster;
  /**
   * The real stack with one of the company's own services behind its nginx: /orders/ for bound
   * customers, /feed/ for any signed-in WeChat user, /open/ for anyone.
   */
  hosted: Stack & { service: string };
  /**
   * The real stack whose customers are the host system's (CUSTOMER_DIRECTORY=webhook, both ways to
   * bind), against the host stand-in on loopback: its directory, and its event receiver.
   */
  accounts: AccountsStack;
  /** Another such stack, for the password lockout: it locks the IP all its tests share. */
  lockout: AccountsStack;
  /** The real stack as an OpenID Connect provider, with a relying party on another host name. */
  oidc: OidcStack;
};

export type AccountsStack = Stack & { host: HostStandIn };
export type OidcStack = Stack & {
  rp: Awaited<ReturnType<typeof startRp>>;
  /** Another company's app: not first-party, so its users see the consent page. */
  partner: Awaited<ReturnType<typeof startRp>>;
  /** Apache httpd with mod_auth_openidc, configured by the docs' block: /claims is its protected page. */
  apache: Awaited<ReturnType<typeof prepareApache>>;
};

/** The real stack's INTERNAL_API_TOKEN (stack.mjs). */
export const INTERNAL_TOKEN = 'e2e-internal-token-0123456789abcdefghij';

/**
 * The real stack as an OpenID Connect provider (OIDC_CLIENTS_FILE, JWT_KEYS_FILE) for one first-party
 * client: the RP on 127.0.0.1, with its back-channel address on loopback allowed; and a partner's app
 * (another RP) that is not first-party; and Apache with the docs' mod_auth_openidc block, first-party.
 */
async function startOidc(): Promise<OidcStack> {
  const rp = await startRp();
  const partner = await startRp();
  const apache = await prepareApache();
  const partnerSecret = randomBytes(32).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-e2e-oidc-'));
  const secret = randomBytes(32).toString('base64url');
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  writeFileSync(
    join(dir, 'jwt-keys.json'),
    JSON.stringify({ keys: [{ ...key, kid: 'e2e', alg: 'ES256', use: 'sig' }] }),
  );
  writeFileSync(
    join(dir, 'clients.json'),
    JSON.stringify({
      clients: [
        {
          client_id: 'rp',
          client_secret_sha256: createHash('sha256').update(secret).digest('base64url'),
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: [`${rp.origin}/callback`],
          post_logout_redirect_uris: [`${rp.origin}/bye`],
          backchannel_logout_uri: `${rp.origin}/backchannel`,
          backchannel_logout_private_network: true,
          first_party: true,
        },
        {
          client_id: 'partner',
          client_name: '合作伙伴商城',
          client_secret_sha256: createHash('sha256').update(partnerSecret).digest('base64url'),
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: [`${partner.origin}/callback`],
        },
        {
          client_id: apache.clientId,
          client_secret_sha256: createHash('sha256').update(apache.secret).digest('base64url'),
          redirect_uris: [apache.redirectUri],
          first_party: true,
        },
      ],
    }),
  );
  try {
    // With a website app: a desktop browser signs in by WeChat's QR login.
    const stack = await startStack({
      demo: false,
      websiteLogin: true,
      env: { OIDC_CLIENTS_FILE: join(dir, 'clients.json'), JWT_KEYS_FILE: join(dir, 'jwt-keys.json') },
    });
    rp.configure({ issuer: `${stack.origin}/oidc`, clientId: 'rp', clientSecret: secret });
    partner.configure({ issuer: `${stack.origin}/oidc`, clientId: 'partner', clientSecret: partnerSecret });
    try {
      await apache.start(stack.origin);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return {
      ...stack,
      rp,
      partner,
      apache,
      async stop() {
        await apache.stop();
        await stack.stop();
        await rp.close();
        await partner.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rp.close();
    await partner.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The secret the BFF and the host stand-in sign with (HOST_SIGNING_SECRET). */
export const HOST_SECRET = 'e2e-host-signing-secret-0123456789abcdef';
/** DIRECTORY_UNKNOWN_PHONE_MESSAGE: the operator's words for a phone the host does not know. */
export const UNKNOWN_PHONE_MESSAGE = '该手机号尚未开通会员，请先到门店办理';

async function startAccounts(): Promise<AccountsStack> {
  // A port of its own, kept when the host goes down and comes back (host.stop(), host.start()).
  const [port] = await freePorts(1);
  const host = await startHostStandIn({ secret: HOST_SECRET, port });
  try {
    const stack = await startStack({
      demo: false,
      env: {
        CUSTOMER_DIRECTORY: 'webhook',
        DIRECTORY_URL: host.directoryUrl,
        HOST_SIGNING_SECRET: HOST_SECRET,
        BIND_METHODS: 'sms,password',
        DIRECTORY_UNKNOWN_PHONE: 'refuse',
        DIRECTORY_UNKNOWN_PHONE_MESSAGE: UNKNOWN_PHONE_MESSAGE,
        EVENTS_WEBHOOK_URL: host.eventsUrl,
      },
    });
    return {
      ...stack,
      host,
      async stop() {
        await stack.stop();
        await host.close();
      },
    };
  } catch (error) {
    await host.close();
    throw error;
  }
}

/** A worker fixture around `start`, with time of its own for starting and stopping. */
function worker<T extends { stop(): Promise<void> }>(
  start: () => Promise<T>,
  timeout = 30_000,
): [WorkerFixture<T, object>, { scope: 'worker'; timeout: number }] {
  return [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const started = await start();
      await use(started);
      await started.stop();
    },
    { scope: 'worker', timeout },
  ];
}

const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

/**
 * The page as <name>.png: into docs/screenshots (the README's and the docs site's) when that file is
 * missing or UPDATE_SCREENSHOTS=1, else into the run's output folder (test-results/screenshots). Chromium's
 * rendering differs by a pixel or two between runs, so a plain test run never rewrites the committed
 * pictures.
 */
export const shot = (page: Page, name: string) => {
  const docs = join(DOCS, `${name}.png`);
  const run = join(test.info().project.outputDir, 'screenshots', `${name}.png`);
  const path = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(docs) ? docs : run;
  // Transitions finished, so a button caught just after a click looks the same on every run.
  return page.screenshot({ path, animations: 'disabled' });
};

/**
 * A WeChat user and phone number of this test's own, derived from its title: tests never share state
 * or rate limits, and the screenshots come out the same on every run (each run has a fresh database).
 */
export const unique = () => {
  const title = test.info().titlePath.join(' ');
  let hash = 7;
  for (const ch of title) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const n = String(hash % 100_000_000).padStart(8, '0');
  return { user: `u${n}`, phone: `139${n}` };
};

/**
 * What the browser logged as an error during a test: console.error, a failed request (Chromium logs
 * every 4xx and 5xx it is answered as "Failed to load resource"), an uncaught exception. A test fails
 * on any of them but the answers it provokes on purpose and names with `expectFailure`.
 */
export interface ConsoleErrors {
  /** `status` from the path `path` (the query left out) is the answer this test asks for, not a fault. */
  expectFailure(status: number, path: string): void;
}

/**
 * Every context a test's browser opens (the `context` fixture's, and any a test makes itself) is
 * watched from its creation until the test ends.
 */
async function watchConsole({ browser }: { browser: Browser }, use: (errors: ConsoleErrors) => Promise<void>) {
  const logged: { text: string; url: string }[] = [];
  const expected: { status: number; path: string }[] = [];
  const watched = new WeakSet<BrowserContext>();
  const watch = (context: BrowserContext) => {
    if (watched.has(context)) return;
    watched.add(context);
    context.on('console', (message) => {
      if (message.type() === 'error') logged.push({ text: message.text(), url: message.location().url });
    });
    context.on('weberror', (error) => logged.push({ text: `uncaught: ${error.error().stack}`, url: '' }));
  };
  const newContext = browser.newContext;
  browser.newContext = async (...args) => {
    const context = await newContext.apply(browser, args);
    watch(context);
    return context;
  };
  for (const context of browser.contexts()) watch(context);
  try {
    await use({ expectFailure: (status, path) => expected.push({ status, path }) });
  } finally {
    browser.newContext = newContext;
  }
  const isExpected = ({ text, url }: { text: string; url: string }) =>
    expected.some(
      (e) => text.includes(`status of ${e.status} `) && URL.canParse(url) && new URL(url).pathname === e.path,
    );
  const unexpected = logged.filter((l) => !isExpected(l)).map((l) => (l.url ? `${l.text} (${l.url})` : l.text));
  expect(unexpected, 'errors in the browser console').toEqual([]);
}

export const test = base.extend<{ wechatUser: (user: string) => Promise<void>; consoleErrors: ConsoleErrors }, Stacks>({
  consoleErrors: [watchConsole, { auto: true }],
  // Who the simulated WeChat thinks this browser is: its wxsim_user cookie on the simulator's origin.
  wechatUser: async ({ context, real }, use) => {
    await use(async (user) => {
      await context.addCookies([{ name: 'wxsim_user', value: user, url: real.simOrigin }]);
    });
  },
  real: worker(() => startStack({ demo: false })),
  demo: worker(() => startStack({ demo: true })),
  pc: worker(() => startStack({ demo: false, websiteLogin: true, env: { WX_UNIONID_BEFORE_BIND: '1' } })),
  proxied: worker(() =>
    startStack({
      demo: false,
      proxy: { domain: 'proxy.example.test', allowedHosts: 'passport.example.test,trade.example.test' },
    }),
  ),
  sites: [
    async ({ proxied }, use) => {
      const sites = await startSites({ proxyOrigin: proxied.proxyOrigin!, simApi: proxied.simApi });
      await use(sites);
      await sites.close();
    },
    { scope: 'worker', timeout: 30_000 },
  ],
  hosted: worker(async () => {
    const service = await startHostService();
    const upstream = service.url;
    const stack = await startStack({
      demo: false,
      services: [
        { path: '/orders/', upstream, require: 'bound' },
        { path: '/feed/', upstream, require: 'session' },
        { path: '/open/', upstream, require: null },
      ],
    });
    return {
      ...stack,
      service: upstream,
      async stop() {
        await stack.stop();
        await service.close();
      },
    };
  }),
  accounts: worker(startAccounts),
  lockout: worker(startAccounts),
  oidc: worker(startOidc),
  // MariaDB's first start (its system tables) is the slow part.
  cluster: worker(() => startCluster(), 120_000),
});

export { expect };

/** The SMS code a stack's inbox (its `inbox`) has for this phone. */
export async function smsCodeFor(phone: string, inbox: string): Promise<string> {
  const url = `${inbox}?phone=${phone}`;
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url);
    if (res.ok) return ((await res.json()) as { code: string }).code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS for ${phone}`);
}

/** Fills the bind page and submits it with the code that was sent. */
export async function bind(page: Page, phone: string, inbox: string): Promise<void> {
  await page.getByLabel('手机号').fill(phone);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await expect(page.getByRole('button', { name: /秒后重发/ })).toBeDisabled();
  await page.getByLabel('验证码', { exact: true }).fill(await smsCodeFor(phone, inbox));
  await page.getByRole('button', { name: '绑定并登录' }).click();
}

/** WeChat's link colour, as computed styles give it. */
export const LINK_COLOUR = 'rgb(87, 107, 149)';

/**
 * Whether `text` in the element (all its text by default) sits on one line: the box around it is less
 * than two font sizes high. Works whatever the markup, so it tells a mid-word wrap before and after a fix.
 */
export function onOneLine(locator: Locator, text?: string): Promise<boolean> {
  return locator.evaluate((el, text) => {
    const doc = el.ownerDocument;
    const range = doc.createRange();
    if (text === undefined) range.selectNodeContents(el);
    else {
      const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      let node = walker.nextNode();
      while (node && !node.textContent!.includes(text)) node = walker.nextNode();
      if (!node) throw new Error(`no text node with "${text}"`);
      const at = node.textContent!.indexOf(text);
      range.setStart(node, at);
      range.setEnd(node, at + text.length);
    }
    return range.getBoundingClientRect().height < 2 * parseFloat(doc.defaultView!.getComputedStyle(el).fontSize);
  }, text);
}
