import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDocs, envExample, REPOSITORY, withTables } from '../configDocs.js';
import { NAMES } from '../configSchema.js';

describe('the configuration docs', () => {
  it('are what the schema makes of them', async () => {
    for (const { file, text } of await configDocs())
      expect(
        readFileSync(`${REPOSITORY}${file}`, 'utf8'),
        `${file} differs from the schema: run pnpm config:docs`,
      ).toBe(text);
  });

  it('list every variable, in the example file and on the reference page', () => {
    const example = readFileSync(`${REPOSITORY}docs/wxauth.env.example`, 'utf8');
    const page = readFileSync(`${REPOSITORY}docs/reference/configuration.md`, 'utf8');
    for (const name of NAMES) {
      expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
      expect(page, name).toContain(`| \`${name}\``);
    }
  });

  it('refuse a compose file that reads a variable they do not know, and a page that lost its markers', () => {
    expect(() => envExample('x-bff:\n  environment:\n    FOO: ${FOO}\n  depends_on:\nservices:\n')).toThrow(/FOO/);
    expect(() => withTables('# Configuration\n', '')).toThrow(/markers/);
  });
});
