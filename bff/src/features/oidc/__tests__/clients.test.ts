import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../platform/config.js';
import { newSigningKey } from '../../site/index.js';
import { parseClients } from '../clients.js';
import { hashClientSecret, readOidcSettings } from '../index.js';

const good = {
  client_id: 'crm',
  client_secret_sha256: hashClientSecret('s'.repeat(40)),
  redirect_uris: ['https://crm.example.com/callback'],
};
const problems = (clients: unknown[], dev = false) => parseClients({ clients }, dev);

describe('the client file (OIDC_CLIENTS_FILE)', () => {
  it('takes a good entry, first_party off unless said', () => {
    expect(problems([good])).toEqual([
      {
        ...good,
        first_party: false,
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_logout_private_network: false,
      },
    ]);
  });

  it.each([
    ['http outside localhost', { redirect_uris: ['http://crm.example.com/callback'] }, 'redirect_uris.0'],
    ['a wildcard', { redirect_uris: ['https://*.example.com/callback'] }, 'redirect_uris.0'],
    ['a fragment', { redirect_uris: ['https://crm.example.com/callback#x'] }, 'redirect_uris.0'],
    ['a relative address', { redirect_uris: ['/callback'] }, 'redirect_uris.0'],
    ['user info in the address', { redirect_uris: ['https://a:b@crm.example.com/cb'] }, 'redirect_uris.0'],
    ['no redirect URI', { redirect_uris: [] }, 'redirect_uris'],
    ['a plain secret', { client_secret_sha256: 'hunter2' }, 'client_secret_sha256'],
    ['a bad client_id', { client_id: 'crm app' }, 'client_id'],
    [
      'an http post-logout address',
      { post_logout_redirect_uris: ['http://crm.example.com/'] },
      'post_logout_redirect_uris.0',
    ],
    ['an http back-channel address', { backchannel_logout_uri: 'http://10.0.0.5/logout' }, 'backchannel_logout_uri'],
    ['an unknown field (a typo)', { redirect_uri: 'https://crm.example.com/cb' }, 'redirect_uri'],
    ['an implicit-flow wish', { response_types: ['id_token'] }, 'response_types'],
  ])('refuses %s, naming where', (_name, change, where) => {
    const out = problems([{ ...good, ...change }]);
    expect(out).toEqual([expect.stringContaining(`clients.0.${where}`)]);
  });

  it('http on localhost only in the demo and development', () => {
    const local = { ...good, redirect_uris: ['http://localhost:3000/cb'] };
    expect(typeof problems([local])[0]).toBe('string');
    expect(typeof problems([local], true)[0]).toBe('object');
  });

  it('opens a private back-channel address only for a client that has one', () => {
    expect(problems([{ ...good, backchannel_logout_private_network: true }])).toEqual([
      'clients.0: backchannel_logout_private_network needs backchannel_logout_uri',
    ]);
  });

  it('refuses a client_id used twice, and an empty file', () => {
    expect(problems([good, good])).toEqual(['a client_id is used twice']);
    expect(problems([])).toEqual([expect.stringContaining('at least one client')]);
  });

  it('a bad file stops the start with a ConfigError naming OIDC_CLIENTS_FILE and the problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oidc-clients-'));
    const keys = [await newSigningKey('k1')];
    const read = (file: string, more: { cookieKeys?: string[] } = {}) =>
      readOidcSettings(
        { clientsFile: file, cookieKeys: more.cookieKeys ?? null },
        { sessionSecret: 'x'.repeat(32), keys, demo: false, production: true },
      );

    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ clients: [{ ...good, redirect_uris: ['http://crm.example.com/cb'] }] }),
    );
    const err = await read(join(dir, 'bad.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      expect.stringMatching(/^OIDC_CLIENTS_FILE: clients\.0\.redirect_uris\.0: expected an https URL/),
    ]);

    await writeFile(join(dir, 'notjson.json'), '{clients:');
    await expect(read(join(dir, 'notjson.json'))).rejects.toThrow(/OIDC_CLIENTS_FILE: .* is not JSON/);
    await expect(read(join(dir, 'missing.json'))).rejects.toThrow(/OIDC_CLIENTS_FILE: cannot read .*ENOENT/);

    await writeFile(join(dir, 'good.json'), JSON.stringify({ clients: [good] }));
    await expect(read(join(dir, 'good.json'), { cookieKeys: ['short'] })).rejects.toThrow(/OIDC_COOKIE_KEYS/);
    await expect(
      readOidcSettings(
        { clientsFile: join(dir, 'good.json'), cookieKeys: null },
        { sessionSecret: 'x'.repeat(32), keys: null, demo: false, production: false },
      ),
    ).rejects.toThrow(/JWT_KEYS_FILE/);
    const ok = await read(join(dir, 'good.json'), { cookieKeys: ['a'.repeat(32), 'b'.repeat(32)] });
    expect(ok?.cookieKeys).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    expect(ok?.clients.map((c) => c.client_id)).toEqual(['crm']);
  });

  it('is off without OIDC_CLIENTS_FILE', async () => {
    const off = { clientsFile: null, cookieKeys: null };
    expect(
      await readOidcSettings(off, { sessionSecret: 'x'.repeat(32), keys: null, demo: false, production: false }),
    ).toBeNull();
  });
});
