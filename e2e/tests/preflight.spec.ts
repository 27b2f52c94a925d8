import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { demoApps } from '@wxauth/wechat-sim';
import { ROOT, startStack } from '../stack.mjs';

// `pnpm preflight` (bff/dist/preflight.js, as the root script runs it) against stacks behind the
// repository's nginx.conf: the production-like one and the demo are green; a stack with deliberate
// mistakes fails, each with its cause.

type Stack = Awaited<ReturnType<typeof startStack>>;
interface Finding {
  id: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  summary: { en: string; zh: string };
  fix?: { en: string; zh: string };
  data?: Record<string, unknown>;
}
interface Report {
  ok: boolean;
  mode: string;
  checks: Finding[];
}

test.setTimeout(60_000);

/** Secrets as an operator makes them, and a database of the test's own: the BFF and preflight share them. */
function deployment() {
  return {
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    INTERNAL_API_TOKEN: randomBytes(32).toString('base64url'),
    DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-preflight-')), 'wxauth.db')}`,
  };
}

/** The OpenID Connect provider on: a client file and a key set, as an operator writes them. */
function oidcFiles(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-preflight-oidc-'));
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [{ ...key, kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  const secret = createHash('sha256').update(randomBytes(32)).digest('base64url');
  writeFileSync(
    join(dir, 'clients.json'),
    JSON.stringify({
      clients: [{ client_id: 'crm', client_secret_sha256: secret, redirect_uris: ['https://crm.example.com/cb'] }],
    }),
  );
  return { OIDC_CLIENTS_FILE: join(dir, 'clients.json'), JWT_KEYS_FILE: join(dir, 'keys.json') };
}

/** The environment the stack's BFF runs with, as an operator would hand it to preflight. */
function environment(stack: Stack, shared: Record<string, string>, demo: boolean): Record<string, string> {
  const base = { PUBLIC_URL: stack.origin, TRUST_PROXY: 'loopback', ...shared };
  if (demo) return { ...base, WXSIM_PORT: new URL(stack.simApi).port };
  const [official, website] = demoApps('localhost');
  return {
    ...base,
    WX_APPID: official!.appid,
    WX_APPSECRET: official!.secret,
    WX_WEBSITE_APPID: website!.appid,
    WX_OPEN_BASE: stack.simOrigin,
    WX_API_BASE: stack.simApi,
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: `${new URL(stack.inbox).origin}/sms`,
    ...shared,
  };
}

/** Runs `node bff/dist/preflight.js --json` with exactly `env` (and PATH). */
function preflight(env: Record<string, string>): Promise<{ code: number; report: Report }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bff/dist/preflight.js'), '--json'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, report: JSON.parse(out) as Report }));
  });
}

const statuses = (report: Report) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const byId = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;

test('the production-like stack behind nginx, with the OIDC provider: green (the port and http of a test stack are warnings)', async () => {
  // The message endpoint on, in safe mode with a key change under way: verified through nginx.
  const messages = {
    WX_MESSAGE_TOKEN: 'preflightE2eToken',
    WX_MESSAGE_AES_KEYS: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG,jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  };
  const shared = { ...deployment(), ...oidcFiles(), ...messages };
  const stack = await startStack({ demo: false, env: shared });
  try {
    const { code, report } = await preflight(environment(stack, shared, false));
    expect(statuses(report)).toEqual({
      config: 'ok',
      // http://localhost:<port>: WX_OPEN_BASE is the simulator, so these are warnings, not failures.
      'public-url': 'warn',
      'mp-verify.local': 'ok',
      'mp-verify.public-url': 'ok',
      'wechat.official': 'ok',
      'wechat.website': 'skip',
      'wechat.miniprogram': 'skip',
      'jssdk.origins': 'warn',
      'jssdk.ticket': 'ok',
      // http://localhost:<port>: WeChat itself would push only to 80 or 443, a warning with the simulator.
      'wechat.messages': 'warn',
      'proxy.forwarded': 'ok',
      'proxy.hsts': 'skip',
      secrets: 'ok',
      database: 'ok',
      'database.migrations': 'ok',
      redis: 'skip',
      clock: 'ok',
      sms: 'ok',
      // Its discovery through nginx's location ^~ /oidc/, the issuer PUBLIC_URL/oidc.
      'oidc.clients': 'ok',
      'oidc.redirects': 'ok',
      'oidc.keys': 'ok',
      'oidc.issuer': 'ok',
    });
    expect(byId(report, 'proxy.forwarded').data).toMatchObject({ ip: '127.0.0.1', peer: '127.0.0.1' });
    // Only the port: the URL check and both keys' safe-mode pushes went through nginx and back.
    expect(byId(report, 'wechat.messages').summary.en).toMatch(
      /^http:\/\/localhost:\d+\/api\/wechat\/messages has port \d+$/,
    );
    expect(code).toBe(0);
  } finally {
    await stack.stop();
  }
});

test('the demo behind nginx: green', async () => {
  const shared = deployment();
  const stack = await startStack({ demo: true, env: { DATABASE_URL: shared.DATABASE_URL } });
  try {
    const { code, report } = await preflight(environment(stack, { DATABASE_URL: shared.DATABASE_URL }, true));
    expect(report.mode).toBe('demo');
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    // The demo's own token and key, through nginx.
    expect(byId(report, 'wechat.messages').summary.en).toContain('plaintext and safe mode');
    expect(code).toBe(0);
  } finally {
    await stack.stop();
  }
});

test("deliberate mistakes: each fails with its cause; /internal/preflight is the BFF's, not the internet's", async () => {
  const shared = {
    ...deployment(),
    // nginx forwards from loopback, but the BFF trusts nobody's X-Forwarded-*.
    TRUST_PROXY: '',
    WX_APPSECRET: 'ThisIsNotTheSecretWeChatHas00000',
  };
  const stack = await startStack({ demo: false, env: shared });
  try {
    // A stale copy of the verify file in the folder nginx serves first (/etc/wxauth/verify in the image).
    writeFileSync(join(stack.verifyDir, 'MP_verify_wxauthDemoVerifyToken0.txt'), 'an older token\n');
    const { code, report } = await preflight(environment(stack, shared, false));
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(byId(report, 'wechat.official')).toMatchObject({ status: 'fail', data: { errcode: 40125 } });
    expect(byId(report, 'proxy.forwarded')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'proxy.forwarded').fix!.en).toContain('TRUST_PROXY=127.0.0.1');
    expect(byId(report, 'mp-verify.public-url')).toMatchObject({ status: 'fail' });
    expect(byId(report, 'mp-verify.public-url').summary.en).toContain('not byte-exact');
    expect(JSON.stringify(report)).not.toContain(shared.WX_APPSECRET);

    // The operators' endpoint: nginx refuses /internal/ from outside, token or not; the BFF answers it.
    const bearer = { authorization: `Bearer ${shared.INTERNAL_API_TOKEN}` };
    const outside = await fetch(`${stack.origin}/internal/preflight`, { headers: bearer });
    expect(outside.status).toBe(404);
    expect(await outside.text()).not.toContain('"checks"');
    const inside = await fetch(`${stack.bffs[0]!.url}/internal/preflight`, { headers: bearer });
    expect(inside.status).toBe(200);
    const fromBff = (await inside.json()) as Report;
    expect(byId(fromBff, 'wechat.official')).toMatchObject({ status: 'fail', data: { errcode: 40125 } });
  } finally {
    await stack.stop();
  }
});
