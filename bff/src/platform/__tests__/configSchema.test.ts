import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REAL_ENV } from '../../__tests__/harness.js';
import { loadConfig, type ConfigError } from '../config.js';
import { docsOf, NAMES, readEnvironment } from '../configSchema.js';

const SRC = fileURLToPath(new URL('../../', import.meta.url));

/** bff/src's code, without its tests. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__tests__' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The environment variables a piece of code reads, however it spells the read. */
function reads(code: string): string[] {
  const NAME = '([A-Z][A-Z0-9_]*)';
  const patterns = [
    new RegExp(`\\benv\\??\\.${NAME}\\b`, 'g'), // env.PORT, process.env.PORT, env?.PORT
    new RegExp(`\\benv\\??\\.?\\[\\s*['"\`]${NAME}['"\`]\\s*\\]`, 'g'), // env['PORT']
    new RegExp(`\\b(?:get|use|raw|problem|secret)\\(\\s*['"\`]${NAME}['"\`]`, 'g'), // loadConfig's own, and the old get('PORT')
    new RegExp(`\\bread(?:\\.|\\[['"\`])${NAME}\\b`, 'g'), // read.HOST_SIGNING_SECRET
  ];
  const destructured = [...code.matchAll(/\{([^}]*)\}\s*=\s*(?:process\.)?env\b/g)].flatMap(([, names]) =>
    names!.split(',').map((n) => n.split(':')[0]!.trim()),
  );
  return [...patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!)), ...destructured];
}

describe('the configuration schema', () => {
  it('finds reads however they are spelled', () => {
    expect(
      reads(
        "process.env.A_1; env['B']; env?.C; get('D'); const { E, F: f } = process.env; ctx.get('origin'); use(`G`)",
      ),
    ).toEqual(expect.arrayContaining(['A_1', 'B', 'C', 'D', 'E', 'F', 'G']));
    expect(reads("ctx.get('content-length'); headers.get('location')")).toEqual([]);
  });

  it('holds every variable bff/src reads', () => {
    const unknown = sources().flatMap((file) =>
      reads(readFileSync(file, 'utf8'))
        .filter((name) => !(NAMES as string[]).includes(name))
        .map((name) => `${relative(SRC, file)} reads ${name}`),
    );
    expect(unknown, 'add each to bff/src/platform/configSchema.ts (then pnpm config:docs)').toEqual([]);
    // The search sees what is there: startupHint's own read, and loadConfig's of every variable.
    expect(reads(readFileSync(join(SRC, 'platform/startupHint.ts'), 'utf8'))).toContain('DATABASE_URL');
    const used = new Set(reads(readFileSync(join(SRC, 'platform/config.ts'), 'utf8')));
    expect(NAMES.filter((name) => !used.has(name))).toEqual([]);
  });

  it('says of each variable what it is, with an example it takes (a placeholder for a secret)', () => {
    for (const name of NAMES) {
      const docs = docsOf(name);
      expect(docs.description, name).toMatch(/^[^\n]{10,}[^.\n]$/);
      expect(docs.example, name).not.toBe('');
      if (!docs.secret) expect(readEnvironment({ [name]: docs.example })[name].problems, name).toEqual([]);
    }
    expect(NAMES.filter((name) => docsOf(name).secret)).toEqual(
      expect.arrayContaining(['WX_APPSECRET', 'SESSION_SECRET', 'INTERNAL_API_TOKEN', 'HOST_SIGNING_SECRET']),
    );
  });

  it("never shows a secret's value in a problem, whatever is wrong with it", () => {
    const values = [
      'LEAK',
      'LEAK?x#y',
      'x://LEAK',
      'mysql://u:LEAK@db',
      'redis:LEAK',
      'https://u:LEAK@h.example.com/?LEAK',
      `${'h'.repeat(32)},LEAK`,
      'LEAK-LEAK-LEAK-LEAK-LEAK-LEAK-LEAK-LEAK,b,c',
    ];
    for (const name of NAMES.filter((n) => docsOf(n).secret))
      for (const value of values) {
        const said = [...readEnvironment({ [name]: value })[name].problems];
        try {
          loadConfig({ ...REAL_ENV, CUSTOMER_DIRECTORY: 'webhook', [name]: value });
        } catch (err) {
          said.push(...(err as ConfigError).problems);
        }
        expect(said.join('\n'), `${name}=${value}`).not.toContain('LEAK');
      }
  });

  it('names every problem by a variable it has', () => {
    try {
      loadConfig({ WX_APPID: 'wx1', PORT: 'x', BIND_METHODS: 'password', NODE_ENV: 'production', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      for (const problem of (err as ConfigError).problems)
        expect(NAMES).toContain(problem.slice(0, problem.indexOf(':')));
    }
  });
});
