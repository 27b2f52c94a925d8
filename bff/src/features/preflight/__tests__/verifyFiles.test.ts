import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { checkVerifyFiles } from '../verifyFiles.js';
import { routedFetch, serve } from './edges.js';
import { PRODUCTION_ENV } from './env.js';

const NAME = 'MP_verify_Ab12Cd34Ef56Gh78.txt';
const TOKEN = 'Ab12Cd34Ef56Gh78';

/** public/ and web/dist/ as the repository has them after a build. */
function folders(files: { public?: Record<string, string>; dist?: Record<string, string> | null }) {
  const root = mkdtempSync(join(tmpdir(), 'preflight-verify-'));
  const dirs = { public: join(root, 'public'), dist: join(root, 'web/dist') };
  for (const [dir, content] of [
    [dirs.public, files.public ?? { [NAME]: TOKEN }],
    [dirs.dist, files.dist === undefined ? { [NAME]: TOKEN } : files.dist],
  ] as const) {
    if (content === null) continue;
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(content)) writeFileSync(join(dir, name), text);
  }
  return dirs;
}

/** nginx as nginx.conf serves the file: from a folder, text/plain, 404 for anything missing. */
const front = (dir: string, type = 'text/plain') =>
  serve(async (req, res) => {
    const body = await readFile(join(dir, req.url!.slice(1))).catch(() => null);
    if (!body) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>');
    res.writeHead(200, { 'content-type': type }).end(body);
  });

const run = async (
  dirs: { public: string; dist: string },
  routes: Record<string, string>,
  env: Record<string, string> = {},
) =>
  Object.fromEntries(
    (
      await checkVerifyFiles({
        config: loadConfig({ ...PRODUCTION_ENV, ...env }),
        fetch: routedFetch(routes),
        files: dirs,
        timeoutMs: 2000,
      })
    ).map((f) => [f.id, f]),
  );

describe('MP_verify_*.txt', () => {
  it('in public/ and dist/, served byte-exact as text/plain at the root of PUBLIC_URL: ok', async () => {
    const dirs = folders({});
    const found = await run(dirs, { 'https://h5.example.com': await front(dirs.dist) });
    expect(found['mp-verify.local']!.status).toBe('ok');
    expect(found['mp-verify.public-url']).toMatchObject({ status: 'ok' });
    expect(found['mp-verify.public-url']!.summary.en).toContain(`https://h5.example.com/${NAME}`);
  });

  it('none in public/: fail, saying where to download it', async () => {
    const dirs = folders({ public: {}, dist: {} });
    const found = await run(dirs, { 'https://h5.example.com': await front(dirs.dist) });
    expect(found['mp-verify.local']).toMatchObject({ status: 'fail' });
    expect(found['mp-verify.local']!.fix!.zh).toContain('网页授权域名');
    expect(found['mp-verify.public-url']!.status).toBe('skip');
  });

  it('in public/ but not in the build: fail (dist/ is older than public/)', async () => {
    const dirs = folders({ dist: {} });
    expect((await run(dirs, { 'https://h5.example.com': await front(dirs.public) }))['mp-verify.local']).toMatchObject({
      status: 'fail',
    });
  });

  it('no build at all: a warning, the served file is still checked', async () => {
    const dirs = folders({ dist: null });
    const found = await run(dirs, { 'https://h5.example.com': await front(dirs.public) });
    expect(found['mp-verify.local']!.status).toBe('warn');
    expect(found['mp-verify.public-url']!.status).toBe('ok');
  });

  it('not served (404 at the root): fail', async () => {
    const dirs = folders({});
    const empty = mkdtempSync(join(tmpdir(), 'preflight-empty-'));
    const found = await run(dirs, { 'https://h5.example.com': await front(empty) });
    expect(found['mp-verify.public-url']).toMatchObject({ status: 'fail' });
    expect(found['mp-verify.public-url']!.summary.en).toContain('404');
  });

  it('served, but not byte-exact (a stale copy in the mounted folder): fail', async () => {
    const dirs = folders({});
    const other = folders({ public: { [NAME]: `${TOKEN}\n` } });
    const found = await run(dirs, { 'https://h5.example.com': await front(other.public) });
    expect(found['mp-verify.public-url']).toMatchObject({ status: 'fail' });
    expect(found['mp-verify.public-url']!.summary.en).toMatch(/byte/);
  });

  it('served as HTML (the SPA answering for it): fail', async () => {
    const dirs = folders({});
    const found = await run(dirs, { 'https://h5.example.com': await front(dirs.dist, 'text/html') });
    expect(found['mp-verify.public-url']).toMatchObject({ status: 'fail' });
    expect(found['mp-verify.public-url']!.summary.en).toContain('text/html');
  });

  it('a redirect instead of the file: fail', async () => {
    const dirs = folders({});
    const redirecting = await serve((_req, res) => res.writeHead(301, { location: 'https://www.example.com/' }).end());
    expect((await run(dirs, { 'https://h5.example.com': redirecting }))['mp-verify.public-url']!.status).toBe('fail');
  });

  it('PUBLIC_URL unreachable: fail, naming the reason', async () => {
    const found = await run(folders({}), {});
    expect(found['mp-verify.public-url']!.status).toBe('fail');
  });

  it("the proxy's own domain, when the proxy is on, must serve it too", async () => {
    const dirs = folders({});
    const proxyFront = await serve((_req, res) => res.writeHead(404).end());
    const found = await run(
      dirs,
      { 'https://h5.example.com': await front(dirs.dist), 'https://proxy.example.com': proxyFront },
      { WX_PROXY_ALLOWED_HOSTS: '.example.com', WX_PROXY_PUBLIC_URL: 'https://proxy.example.com' },
    );
    expect(found['mp-verify.public-url']!.status).toBe('ok');
    expect(found['mp-verify.proxy']).toMatchObject({ status: 'fail' });
    expect(found['mp-verify.proxy']!.summary.en).toContain('https://proxy.example.com');
  });

  it('a file whose content is not its token: a warning (renamed, or another download)', async () => {
    const dirs = folders({ public: { [NAME]: 'something else' }, dist: { [NAME]: 'something else' } });
    const found = await run(dirs, { 'https://h5.example.com': await front(dirs.dist) });
    expect(found['mp-verify.local']!.status).toBe('warn');
  });
});
