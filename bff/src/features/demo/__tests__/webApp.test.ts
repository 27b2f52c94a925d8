import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBff } from '../../../__tests__/harness.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A built app as Vite leaves it: index.html, hashed assets, and its build manifest in a dot folder. */
function distFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'wxauth-static-'));
  mkdirSync(join(root, 'assets'));
  mkdirSync(join(root, '.vite'));
  mkdirSync(join(root, '.well-known'));
  writeFileSync(join(root, 'index.html'), '<html>app</html>');
  writeFileSync(join(root, 'assets', 'a-1.js'), 'js');
  writeFileSync(join(root, 'assets', '.secret.js'), 'hidden');
  writeFileSync(join(root, '.vite', 'manifest.json'), '{"src/main.ts":{}}');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(root, '.well-known', 'security.txt'), 'Contact: x');
  return root;
}

describe('the demo web server (serveWebApp)', () => {
  it('caches a found asset for good, and answers a missing one 404, never cached', async () => {
    const bff = await startBff({ webRoot: distFolder() });
    const found = await fetch(`${bff.origin}/assets/a-1.js`);
    expect([found.status, found.headers.get('cache-control'), await found.text()]).toEqual([200, IMMUTABLE, 'js']);

    for (const method of ['GET', 'HEAD']) {
      const missing = await fetch(`${bff.origin}/assets/missing.js`, { method });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      expect(await missing.text()).not.toContain('<html>app</html>');
    }
    // The app's pages are still the app, asked for again each time.
    const page = await fetch(`${bff.origin}/auth`);
    expect([page.status, page.headers.get('cache-control'), await page.text()]).toEqual([
      200,
      'no-cache',
      '<html>app</html>',
    ]);
  });

  it('serves no dot file or dot folder (the build manifest), except /.well-known/', async () => {
    const bff = await startBff({ webRoot: distFolder() });
    for (const path of ['/.vite/manifest.json', '/%2Evite/manifest.json', '/.env', '/assets/.secret.js', '/.vite/']) {
      const res = await fetch(bff.origin + path);
      const body = await res.text();
      expect([path, res.status, res.headers.get('cache-control')]).toEqual([path, 404, 'no-store']);
      expect(body).not.toMatch(/src\/main|SECRET|hidden/);
    }
    const wellKnown = await fetch(`${bff.origin}/.well-known/security.txt`);
    expect([wellKnown.status, await wellKnown.text()]).toEqual([200, 'Contact: x']);
    // A missing one falls through to the app, as any other page does.
    expect(await (await fetch(`${bff.origin}/.well-known/missing`)).text()).toBe('<html>app</html>');
  });
});
