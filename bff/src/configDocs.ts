import { readFile, writeFile } from 'node:fs/promises';
import { configDocs, REPOSITORY } from './platform/configDocs.js';

// `pnpm config:docs`: writes docs/wxauth.env.example and the configuration reference's tables from the
// schema (platform/configSchema.ts), and says which changed. A unit test fails while they differ.
for (const { file, text } of await configDocs()) {
  const path = `${REPOSITORY}${file}`;
  const before = await readFile(path, 'utf8').catch(() => '');
  if (before === text) continue;
  await writeFile(path, text);
  process.stdout.write(`config:docs: wrote ${file}\n`);
}
