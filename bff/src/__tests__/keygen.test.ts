import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const cwd = mkdtempSync(join(tmpdir(), 'kg-'));
const keygen = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bff/dist/keygen.js'), ...args], { cwd, encoding: 'utf8' });

describe('pnpm keygen:jwt <file>', () => {
  it('writes a private key set readable by its owner only, in a folder it makes, the new key first', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kg-')), 'secrets', 'jwt-keys.json');
    expect(keygen(file).status).toBe(0);
    expect(keygen(file).status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { keys } = JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<{ kid: string; d?: string }> };
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => typeof k.d === 'string')).toBe(true);
  });

  it.each([[], ['--help'], ['-h']])('%j answers the usage alone, and makes no file', (...args) => {
    const run = keygen(...args);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: pnpm keygen:jwt <file>/);
    for (const a of args) expect(existsSync(join(cwd, a))).toBe(false);
  });

  it('an unknown flag is a usage error, and no file named after it', () => {
    const run = keygen('--out');
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(/^unknown option --out\nusage: pnpm keygen:jwt <file>/);
    expect(existsSync(join(cwd, '--out'))).toBe(false);
  });

  it('through pnpm with no file, says the usage and nothing else (no ELIFECYCLE, no update banner)', () => {
    const run = spawnSync('pnpm', ['keygen:jwt'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const said = (run.stdout + run.stderr).split('\n').filter((l) => l.trim() && !l.startsWith('>'));
    expect(said).toEqual([expect.stringMatching(/^usage: pnpm keygen:jwt <file>/)]);
  });
});
