import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBff } from '../../__tests__/harness.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A built app as Vite leaves it: index.html and hashed assets. */
function distFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'wxauth-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<html>app</html>');
  writeFileSync(join(root, 'assets', 'a-1.js'), 'js');
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
});
