import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { checkJssdkOrigins } from '../jssdk.js';
import { routedFetch, serve } from './edges.js';
import { PRODUCTION_ENV } from './env.js';

const NAME = 'MP_verify_Ab12Cd34Ef56Gh78.txt';

function files() {
  const root = mkdtempSync(join(tmpdir(), 'preflight-jssdk-'));
  mkdirSync(join(root, 'public'));
  writeFileSync(join(root, 'public', NAME), 'Ab12Cd34Ef56Gh78');
  return { public: join(root, 'public'), dist: join(root, 'dist') };
}

/** A site's front: the app at /, and the verify file when it has it. */
const site = (withFile: boolean) =>
  serve((req, res) => {
    if (req.url === `/${NAME}` && withFile)
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('Ab12Cd34Ef56Gh78');
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html' }).end('<html></html>');
  });

const check = async (env: Record<string, string>, routes: Record<string, string>) =>
  checkJssdkOrigins({
    config: loadConfig({ ...PRODUCTION_ENV, ...env }),
    fetch: routedFetch(routes),
    files: files(),
    timeoutMs: 2000,
  });

describe('JS-SDK origins (JS接口安全域名)', () => {
  it('PUBLIC_URL and WX_JSSDK_ORIGINS: https, each answers and serves the verify file: ok', async () => {
    const found = await check(
      { WX_JSSDK_ORIGINS: 'https://trade.example.com' },
      { 'https://h5.example.com': await site(true), 'https://trade.example.com': await site(true) },
    );
    expect(found).toMatchObject({ id: 'jssdk.origins', status: 'ok' });
    expect(found.summary.en).toContain('https://trade.example.com');
  });

  it('an origin that does not answer: fail', async () => {
    const found = await check(
      { WX_JSSDK_ORIGINS: 'https://trade.example.com' },
      { 'https://h5.example.com': await site(true) },
    );
    expect(found.status).toBe('fail');
    expect(found.summary.en).toContain('https://trade.example.com');
  });

  it('another origin without the verify file: a warning (WeChat asks for it when the domain is saved)', async () => {
    const found = await check(
      { WX_JSSDK_ORIGINS: 'https://trade.example.com' },
      { 'https://h5.example.com': await site(true), 'https://trade.example.com': await site(false) },
    );
    expect(found.status).toBe('warn');
  });

  it('http outside the demo: a warning (wx.config on an http page of a https-only domain fails)', async () => {
    const found = await check({ PUBLIC_URL: 'http://h5.example.com' }, { 'http://h5.example.com': await site(true) });
    expect(found.status).toBe('warn');
  });
});
