// @vitest-environment node
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { expect, it } from 'vitest';

const webRoot = fileURLToPath(new URL('../..', import.meta.url));
const publicDir = join(webRoot, '..', 'public');

it('puts every MP_verify_*.txt of the top-level public/ at the root of dist/, byte for byte', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'wxauth-dist-'));
  await build({ root: webRoot, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  const files = readdirSync(publicDir).filter((f) => /^MP_verify_[A-Za-z0-9]+\.txt$/.test(f));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) expect(readFileSync(join(outDir, f))).toEqual(readFileSync(join(publicDir, f)));
}, 60_000);
