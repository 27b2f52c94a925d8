// @vitest-environment node
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { beforeAll, expect, it } from 'vitest';

const webRoot = fileURLToPath(new URL('../..', import.meta.url));
const publicDir = join(webRoot, '..', 'public');
const outDir = mkdtempSync(join(tmpdir(), 'wxauth-dist-'));

beforeAll(async () => {
  await build({ root: webRoot, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
}, 60_000);

it('puts every MP_verify_*.txt of the top-level public/ at the root of dist/, byte for byte', () => {
  const files = readdirSync(publicDir).filter((f) => /^MP_verify_[A-Za-z0-9]+\.txt$/.test(f));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) expect(readFileSync(join(outDir, f))).toEqual(readFileSync(join(publicDir, f)));
});

it('bundles the style of the Vant components in use only, and its icon font as a file, not inline', () => {
  const assets = readdirSync(join(outDir, 'assets'));
  const css = assets
    .filter((f) => f.endsWith('.css'))
    .map((f) => readFileSync(join(outDir, 'assets', f), 'utf8'))
    .join('\n');
  expect(css).toContain('.van-field');
  expect(css).not.toContain('.van-calendar');
  expect(css).not.toContain('data:font');
  const font = assets.find((f) => /^vant-icon-[\w-]+\.woff2$/.test(f));
  expect(
    font &&
      readFileSync(join(outDir, 'assets', font))
        .subarray(0, 4)
        .toString(),
  ).toBe('wOF2');
  expect(css).toContain(`url(${font})`);
  // No font from another host: the CSP refuses it, and the browser logs that as an error.
  expect(css).not.toMatch(/url\((https?:)?\/\//);
});
