import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const cwd = mkdtempSync(join(tmpdir(), 'kg-'));
const keygen = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bff/dist/keygen.js'), ...args], { cwd, encoding: 'utf8' });

describe('pnpm keygen:jwt <file>', () => {
  beforeAll(() => {
    execFileSync('pnpm', ['--filter', '@wxauth/bff', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  it('writes a private key set readable by its owner only, in a folder it makes, the new key first', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kg-')), 'secrets', 'jwt-keys.json');
    expect(keygen(file).status).toBe(0);
    expect(keygen(file).status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { keys } = JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<{ kid: string; d?: string }> };
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => typeof k.d === 'string')).toBe(true);
  });

  it.each([[], ['--help'], ['-h']])('%j is a usage message, and no file named after a flag', (...args) => {
    const run = keygen(...args);
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(/^usage: pnpm keygen:jwt <file>/);
    for (const a of args) expect(existsSync(join(cwd, a))).toBe(false);
  });
});
