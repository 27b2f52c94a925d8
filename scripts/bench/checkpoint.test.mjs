// A smoke run of scripts/bench/checkpoint.mjs with tiny numbers: it runs, and says what it measured.
// (The benchmark itself stays out of the tests: its figures are in docs/reference/benchmarks.md.)
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

it('bench/checkpoint.mjs runs the state store at a given rate and reports the event loop delay', () => {
  execFileSync('pnpm', ['--filter', '@wxauth/bff', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const out = execFileSync(process.execPath, ['scripts/bench/checkpoint.mjs', '--rate', '50', '--seconds', '1'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(out).toMatch(/50 logins\/s .* for 1 s, \d+ done/);
  expect(out).toMatch(/event-loop delay .* p99 [\d.]+ ms.* max [\d.]+ ms · CPU [\d.]+ ms\/login/);
}, 120_000);
