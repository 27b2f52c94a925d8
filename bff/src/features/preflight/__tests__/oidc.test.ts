import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBff } from '../../../__tests__/harness.js';
import { loadConfig } from '../../../platform/config.js';
import { hashClientSecret } from '../../oidc/index.js';
import { newSigningKey } from '../../site/index.js';
import { checkOidc } from '../oidc.js';
import { routedFetch, serve } from './edges.js';
import { PRODUCTION_ENV } from './env.js';

const dir = mkdtempSync(join(tmpdir(), 'preflight-oidc-'));
let n = 0;
/** A file of the test's own: JSON of `content`, or the text as it is. */
function file(content: unknown): string {
  const path = join(dir, `f${++n}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const CRM = {
  client_id: 'crm',
  client_secret_sha256: hashClientSecret('crm-secret-0123456789abcdef0123456789'),
  redirect_uris: ['https://crm.example.com/callback'],
  first_party: true,
};
const clients = (...entries: object[]) => file({ clients: entries.length ? entries : [CRM] });
const keys = async () => file({ keys: [await newSigningKey('k1')] });

interface Options {
  env?: Record<string, string>;
  /** Where https://h5.example.com goes; unreachable when absent. */
  site?: string;
  publicUrl?: string;
}

async function check(options: Options = {}) {
  const config = loadConfig({
    ...PRODUCTION_ENV,
    NODE_ENV: 'production',
    ...options.env,
    ...(options.publicUrl && { PUBLIC_URL: options.publicUrl }),
  });
  const found = await checkOidc({
    config,
    fetch: routedFetch({ [config.publicUrl]: options.site ?? 'http://127.0.0.1:1' }),
    timeoutMs: 2000,
  });
  return Object.fromEntries(found.map((f) => [f.id, f]));
}

/** The real BFF with the provider on, as nginx passes /oidc/ to it. */
async function provider() {
  const bff = await startBff({
    env: { TRUST_PROXY: 'loopback' },
    oidc: {
      clients: [
        { ...CRM, token_endpoint_auth_method: 'client_secret_basic', backchannel_logout_private_network: false },
      ],
      keys: [await newSigningKey('k1')],
      cookieKeys: ['cookie-key-0123456789abcdef0123456789'],
    },
  });
  return bff.origin;
}

describe('preflight: the OpenID Connect provider', () => {
  it('OIDC_CLIENTS_FILE unset: one skipped line, nothing fetched', async () => {
    const found = await check();
    expect(Object.keys(found)).toEqual(['oidc']);
    expect(found.oidc!.status).toBe('skip');
  });

  it('a good file, a key set and the provider reached through PUBLIC_URL: every line ok', async () => {
    const found = await check({
      env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() },
      site: await provider(),
    });
    for (const id of ['oidc.clients', 'oidc.redirects', 'oidc.keys', 'oidc.issuer'])
      expect(found[id], id).toMatchObject({ status: 'ok' });
    expect(found['oidc.issuer']!.summary.en).toContain('https://h5.example.com/oidc');
    expect(found['oidc.keys']!.summary.en).toContain('k1');
  });

  it.each([
    ['a file that is not there', () => join(dir, 'missing.json'), 'cannot read'],
    ['not JSON', () => file('{ clients: '), 'not JSON'],
    ['no redirect URI', () => clients({ client_id: 'crm', redirect_uris: [] }), 'redirect_uris'],
    ['a wildcard', () => clients({ client_id: 'crm', redirect_uris: ['https://*.example.com/cb'] }), 'redirect_uris.0'],
    ['a client_id twice', () => clients(CRM, CRM), 'client_id is used twice'],
  ])('the client file: %s is a failure naming the problem as the start does', async (_what, path, says) => {
    const found = await check({ env: { OIDC_CLIENTS_FILE: path(), JWT_KEYS_FILE: await keys() } });
    expect(found['oidc.clients']).toMatchObject({ status: 'fail' });
    expect(found['oidc.clients']!.summary.en).toContain(says);
    expect(found['oidc.clients']!.fix!.zh).toBeTruthy();
    expect(found['oidc.redirects']!.status).toBe('skip');
  });

  it('http redirect URIs: a failure outside development, naming the client; a warning on localhost in development', async () => {
    const local = clients({ ...CRM, redirect_uris: ['http://localhost:3000/cb'] });
    const production = await check({ env: { OIDC_CLIENTS_FILE: local, JWT_KEYS_FILE: await keys() } });
    expect(production['oidc.clients']!.status).toBe('ok');
    expect(production['oidc.redirects']).toMatchObject({ status: 'fail' });
    expect(production['oidc.redirects']!.summary.en).toContain('http://localhost:3000/cb');
    const development = await check({
      env: { OIDC_CLIENTS_FILE: local, JWT_KEYS_FILE: await keys(), NODE_ENV: 'development' },
    });
    expect(development['oidc.redirects']).toMatchObject({ status: 'warn' });
    // Not localhost: refused everywhere, by the file's own rules.
    const remote = clients({ ...CRM, redirect_uris: ['http://crm.example.com/cb'] });
    const anywhere = await check({
      env: { OIDC_CLIENTS_FILE: remote, JWT_KEYS_FILE: await keys(), NODE_ENV: 'development' },
    });
    expect(anywhere['oidc.clients']!.status).toBe('fail');
  });

  it('no JWT_KEYS_FILE: the provider has nothing to sign with, a failure', async () => {
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients() } });
    expect(found['oidc.keys']).toMatchObject({ status: 'fail' });
    expect(found['oidc.keys']!.fix!.en).toContain('keygen:jwt');
  });

  it.each([
    [
      'a public key only',
      async () => {
        const { d: _d, ...pub } = await newSigningKey('k1');
        return file({ keys: [pub] });
      },
    ],
    ['an empty set', async () => file({ keys: [] })],
    ['a key that does not sign', async () => file({ keys: [{ ...(await newSigningKey('k1')), d: 'AAAA' }] })],
  ])('JWT_KEYS_FILE with %s: a failure', async (_what, make) => {
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await make() } });
    expect(found['oidc.keys']).toMatchObject({ status: 'fail' });
    expect(JSON.stringify(found['oidc.keys'])).not.toMatch(/"d"/);
  });

  it('discovery unreachable through PUBLIC_URL: a failure', async () => {
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() } });
    expect(found['oidc.issuer']).toMatchObject({ status: 'fail' });
    expect(found['oidc.issuer']!.summary.en).toContain('/oidc/.well-known/openid-configuration');
  });

  it('a site without the provider (404: nginx does not pass /oidc/, or the BFF runs without it): a failure saying both', async () => {
    const bff = await startBff({ env: { TRUST_PROXY: 'loopback' } });
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() }, site: bff.origin });
    expect(found['oidc.issuer']).toMatchObject({ status: 'fail' });
    expect(found['oidc.issuer']!.fix!.en).toContain('location ^~ /oidc/');
  });

  it('the provider answers with another issuer (the BFF runs with another PUBLIC_URL): a failure', async () => {
    const found = await check({
      env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() },
      publicUrl: 'https://sso.example.com',
      site: await provider(),
    });
    expect(found['oidc.issuer']).toMatchObject({ status: 'fail' });
    expect(found['oidc.issuer']!.summary.en).toContain('https://h5.example.com/oidc');
    expect(found['oidc.issuer']!.summary.en).toContain('https://sso.example.com/oidc');
  });

  it('http endpoints under a https PUBLIC_URL: a failure naming them', async () => {
    const issuer = 'https://h5.example.com/oidc';
    const site = await serve((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: 'http://h5.example.com/oidc/token',
          jwks_uri: `${issuer}/jwks`,
        }),
      );
    });
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() }, site });
    expect(found['oidc.issuer']).toMatchObject({ status: 'fail' });
    expect(found['oidc.issuer']!.summary.en).toContain('token_endpoint');
  });

  it('something else answers at the discovery address (not JSON): a failure', async () => {
    const site = await serve((_req, res) => res.end('<html>hello</html>'));
    const found = await check({ env: { OIDC_CLIENTS_FILE: clients(), JWT_KEYS_FILE: await keys() }, site });
    expect(found['oidc.issuer']).toMatchObject({ status: 'fail' });
  });
});
