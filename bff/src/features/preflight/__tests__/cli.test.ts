import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP, WEBSITE, startBff, type Bff } from '../../../__tests__/harness.js';
import { migrate, openDatabase } from '../../../adapters/store/db.js';
import type { OidcSettings } from '../../oidc/index.js';
import { newSigningKey } from '../../site/index.js';
import { main } from '../cli.js';
import type { Report } from '../types.js';
import { routedFetch, serve, startRedis } from './edges.js';
import { STRONG } from './env.js';

const VERIFY = 'MP_verify_Ab12Cd34Ef56Gh78.txt';

/** The repository's public/ and web/dist/, each with the verify file. */
function repository() {
  const root = mkdtempSync(join(tmpdir(), 'preflight-repo-'));
  const files = { public: join(root, 'public'), dist: join(root, 'web/dist') };
  for (const dir of Object.values(files)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, VERIFY), 'Ab12Cd34Ef56Gh78');
  }
  return files;
}

/** nginx as nginx.conf is: dist/ at the root, /api/ and /oidc/ to the BFF with the forwarded headers, HSTS under https. */
const nginx = (bff: Bff, dist: string) =>
  serve(async (req, res) => {
    const hsts = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' };
    if (!req.url!.startsWith('/api/') && !req.url!.startsWith('/oidc/')) {
      const body = req.url === '/' ? '<html></html>' : await readFile(join(dist, req.url!.slice(1))).catch(() => null);
      if (body === null) return void res.writeHead(404, hsts).end();
      return void res
        .writeHead(200, { ...hsts, 'content-type': req.url === '/' ? 'text/html' : 'text/plain' })
        .end(body);
    }
    const headers = { ...req.headers, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https' };
    const upstream = httpRequest(`${bff.origin}${req.url}`, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode!, { ...answer.headers, ...hsts });
      answer.pipe(res);
    });
    req.pipe(upstream);
  });

/** An SMS gateway that takes dry runs. */
const gateway = () => serve((req, res) => req.resume().on('end', () => res.writeHead(204).end()));

/** A deployment configured as the README says, its environment, and the edges that lead to it. */
async function deployment(over: Record<string, string> = {}, oidc?: OidcSettings) {
  const dbUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'preflight-cli-')), 'wxauth.db')}`;
  const db = openDatabase(dbUrl);
  await migrate(db);
  await db.destroy();
  const shared = {
    SESSION_SECRET: STRONG.session,
    INTERNAL_API_TOKEN: STRONG.internal,
    PROFILE_TOKEN_KEY: STRONG.profileKey,
    TRUST_PROXY: 'loopback',
    ...over,
  };
  const bff = await startBff({ env: shared, ...(oidc && { oidc }) });
  const files = repository();
  const env = {
    WX_APPID: APP.appid,
    WX_APPSECRET: APP.secret,
    WX_WEBSITE_APPID: WEBSITE.appid,
    WX_WEBSITE_APPSECRET: WEBSITE.secret,
    WX_API_BASE: bff.simOrigin,
    PUBLIC_URL: 'https://h5.example.com',
    DATABASE_URL: dbUrl,
    REDIS_URL: await startRedis(['--appendonly', 'yes']),
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: `${await gateway()}/sms`,
    SMS_WEBHOOK_TOKEN: 'smsToken-Zq8vN3xK2pL7wR4tY6uB9cD1',
    ...shared,
  };
  const edges = { fetch: routedFetch({ 'https://h5.example.com': await nginx(bff, files.dist) }), files };
  return { bff, env, edges };
}

async function run(argv: string[], env: Record<string, string | undefined>, edges = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, env, { out: (t) => (out += t), err: (t) => (err += t) }, edges);
  return { code, out, err };
}

describe('pnpm preflight', () => {
  it('a deployment configured as the README says: every check ok, exit 0', async () => {
    const { env, edges } = await deployment();
    const { code, out } = await run(['--json'], env, edges);
    const report = JSON.parse(out) as Report;
    expect(Object.fromEntries(report.checks.map((c) => [c.id, c.status]))).toEqual({
      config: 'ok',
      'public-url': 'ok',
      'mp-verify.local': 'ok',
      'mp-verify.public-url': 'ok',
      'wechat.official': 'ok',
      'wechat.website': 'ok',
      'jssdk.origins': 'ok',
      'jssdk.ticket': 'ok',
      'wechat.messages': 'skip',
      'proxy.forwarded': 'ok',
      'proxy.hsts': 'ok',
      secrets: 'ok',
      database: 'ok',
      'database.migrations': 'ok',
      redis: 'ok',
      'redis.persistence': 'ok',
      'redis.eviction': 'ok',
      clock: 'ok',
      sms: 'ok',
      oidc: 'skip',
    });
    expect(report).toMatchObject({ ok: true, mode: 'real', publicUrl: 'https://h5.example.com' });
    expect(code).toBe(0);
  });

  it('prints one line per check, then the totals; never a secret', async () => {
    const { env, edges, bff } = await deployment();
    const { code, out } = await run([], { ...env, WX_APPSECRET: 'Wr0ngSecretWr0ngSecretWr0ngSecre' }, edges);
    expect(code).toBe(1);
    const lines = out.split('\n');
    expect(lines[0]).toBe('wxauth preflight · real mode · 正式模式 · https://h5.example.com');
    expect(lines.filter((l) => /^(ok |warn|FAIL|skip)/.test(l))).toHaveLength(20);
    const failed = lines.findIndex((l) => l.startsWith('FAIL  wechat.official'));
    expect(lines[failed]).toContain('WeChat refused WX_APPSECRET');
    expect(lines[failed + 1]).toMatch(/^\s+微信拒绝了/);
    expect(lines[failed + 2]).toMatch(/^\s+fix: .*WX_APPSECRET/);
    expect(lines[failed + 3]).toMatch(/^\s+修复：/);
    expect(out).toMatch(/1 failed, 0 warnings, 16 ok, 3 skipped: fix the failures/);
    for (const secret of [
      'Wr0ngSecretWr0ngSecretWr0ngSecre',
      APP.secret,
      WEBSITE.secret,
      STRONG.session,
      STRONG.internal,
      STRONG.profileKey,
      env.SMS_WEBHOOK_TOKEN,
      ...bff.sim.issuedSecrets(),
    ])
      expect(out).not.toContain(secret);
  });

  it('with the OpenID Connect provider (OIDC_CLIENTS_FILE, JWT_KEYS_FILE): its client file, keys and discovery checked, ok', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'preflight-oidc-'));
    const key = await newSigningKey('k1');
    const entry = { client_id: 'crm', redirect_uris: ['https://crm.example.com/cb'], first_party: true };
    writeFileSync(join(dir, 'clients.json'), JSON.stringify({ clients: [entry] }));
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [key] }));
    const { env, edges } = await deployment(
      {},
      {
        clients: [
          { ...entry, token_endpoint_auth_method: 'client_secret_basic', backchannel_logout_private_network: false },
        ],
        keys: [key],
        cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
      },
    );
    const oidcEnv = { OIDC_CLIENTS_FILE: join(dir, 'clients.json'), JWT_KEYS_FILE: join(dir, 'keys.json') };
    const { code, out } = await run(['--json'], { ...env, ...oidcEnv, NODE_ENV: 'production' }, edges);
    const report = JSON.parse(out) as Report;
    expect(report.checks.filter((c) => c.id.startsWith('oidc')).map((c) => [c.id, c.status])).toEqual([
      ['oidc.clients', 'ok'],
      ['oidc.redirects', 'ok'],
      ['oidc.keys', 'ok'],
      ['oidc.issuer', 'ok'],
    ]);
    expect(code).toBe(0);
    expect(out).not.toContain(key.d);
  });

  it('a configuration the BFF would refuse: each problem a failing line, by name, exit 1', async () => {
    const { code, out } = await run([], {
      WX_APPID: APP.appid,
      WX_APPSECRET: APP.secret,
      PUBLIC_URL: 'https://h5.example.com/app',
      SESSION_SECRET: 'short-secret-value',
      INTERNAL_API_TOKEN: STRONG.internal,
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: 'https://sms.example.com/send',
    });
    expect(code).toBe(1);
    expect(out).toContain('FAIL  config  PUBLIC_URL: expected an http(s) origin with no path');
    expect(out).toContain('FAIL  config  SESSION_SECRET: must be at least 32 characters long');
    expect(out).not.toContain('short-secret-value');
  });

  it('--json for a configuration error too', async () => {
    const { code, out } = await run(['--json'], { WX_APPSECRET: APP.secret });
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ ok: false, mode: 'invalid', counts: { fail: 1 } });
  });

  it('--help: the usage, exit 0; an unknown option: the usage on stderr, exit 2', async () => {
    expect(await run(['--help'], {})).toMatchObject({ code: 0, out: expect.stringContaining('usage: pnpm preflight') });
    const wrong = await run(['--jsno'], {});
    expect(wrong).toMatchObject({ code: 2, out: '' });
    expect(wrong.err).toContain('unknown option --jsno');
  });
});
