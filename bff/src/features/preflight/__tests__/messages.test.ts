import { describe, expect, it } from 'vitest';
import { APP, REAL_ENV, startBff } from '../../../__tests__/harness.js';
import { loadConfig } from '../../../platform/config.js';
import { checkMessages } from '../messages.js';
import { routedFetch } from './edges.js';

const TOKEN = 'preflightToken1';
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OLD_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';

/** Preflight with `mine` against a running BFF (the real app) configured with `theirs`. */
async function check(mine: Record<string, string>, theirs: Record<string, string> = mine) {
  const bff = await startBff({ env: theirs });
  // PUBLIC_URL reaches the running BFF here; nginx in front is the e2e's part.
  const config = loadConfig({ ...REAL_ENV, WX_APPID: APP.appid, PUBLIC_URL: 'https://h5.example.com', ...mine });
  const routed = routedFetch({ 'https://h5.example.com': bff.origin });
  const found = await checkMessages({ config, appid: APP.appid, fetch: routed, now: bff.now, timeoutMs: 3000 });
  return { found, bff };
}

describe('preflight: the message endpoint', () => {
  it('off without WX_MESSAGE_TOKEN: skipped', async () => {
    const config = loadConfig(REAL_ENV);
    const found = await checkMessages({ config, appid: null, fetch, now: Date.now, timeoutMs: 1000 });
    expect(found).toMatchObject({ id: 'wechat.messages', status: 'skip' });
  });

  it('the URL check, a plaintext push and a safe-mode push with each key: ok, and no handler saw them', async () => {
    const env = { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: `${KEY},${OLD_KEY}` };
    const { found, bff } = await check(env);
    expect(found).toMatchObject({ id: 'wechat.messages', status: 'ok' });
    expect(found.summary.en).toContain('plaintext and safe mode');
    expect(found.summary.en).toContain('/api/wechat/messages');
    // The endpoint answered the test pushes itself: nothing counted as claimed, forwarded or unclaimed.
    const metrics = await (await fetch(`${bff.origin}/metrics`)).text();
    expect(metrics).not.toMatch(/wxauth_wechat_pushes_total\{outcome=/);
  });

  it('plaintext only (no keys): ok, and says safe mode would be refused', async () => {
    const { found } = await check({ WX_MESSAGE_TOKEN: TOKEN });
    expect(found.status).toBe('ok');
    expect(found.summary.en).toContain('safe mode refused');
  });

  it('another token on the running BFF: fail, naming WX_MESSAGE_TOKEN and the docs page', async () => {
    const { found } = await check({ WX_MESSAGE_TOKEN: TOKEN }, { WX_MESSAGE_TOKEN: 'someOtherToken' });
    expect(found.status).toBe('fail');
    expect(found.summary.en).toContain('WX_MESSAGE_TOKEN');
    expect(found.fix!.en).toContain('docs/guide/message-endpoint.md');
  });

  it('another EncodingAESKey on the running BFF: fail, naming WX_MESSAGE_AES_KEYS', async () => {
    const { found } = await check(
      { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: KEY },
      { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_AES_KEYS: OLD_KEY },
    );
    expect(found.status).toBe('fail');
    expect(found.summary.en).toContain('WX_MESSAGE_AES_KEYS');
  });

  it('the running BFF without the endpoint: fail (404), saying what could be wrong', async () => {
    const { found } = await check({ WX_MESSAGE_TOKEN: TOKEN }, {});
    expect(found.status).toBe('fail');
    expect(found.summary.en).toMatch(/404.*WX_MESSAGE_TOKEN is not set on the running BFF, or nginx/);
  });

  it('PUBLIC_URL with a port: fail, WeChat pushes only to 80 and 443', async () => {
    const config = loadConfig({ ...REAL_ENV, PUBLIC_URL: 'https://h5.example.com:8443', WX_MESSAGE_TOKEN: TOKEN });
    const found = await checkMessages({ config, appid: APP.appid, fetch, now: Date.now, timeoutMs: 500 });
    expect(found.status).toBe('fail');
    expect(found.summary.en).toContain('port 8443');
  });

  it('a forward URL that does not answer: a warning', async () => {
    const env = { WX_MESSAGE_TOKEN: TOKEN, WX_MESSAGE_FORWARD_URL: 'http://127.0.0.1:9/wechat' };
    const { found } = await check(env);
    expect(found.status).toBe('warn');
    expect(found.summary.en).toContain('WX_MESSAGE_FORWARD_URL');
  });
});
