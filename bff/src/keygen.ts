import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keySetProblem, newSigningKey, type PrivateKeySet } from './features/site/tokens.js';

/**
 * `pnpm keygen:jwt <file>`: puts a new signing key first in the JWK Set at <file> (made if missing),
 * for JWT_KEYS_FILE. Rotation: run it, deploy (the new key signs, the old still verifies), and once
 * the old tokens have expired (JWT_TTL_SECONDS), delete the old key from the file and deploy again.
 */
const USAGE = 'usage: pnpm keygen:jwt <file>   (a JWK Set of private keys, for JWT_KEYS_FILE)';
const file = process.argv[2];
// Nothing or a request for help is answered with the usage alone (exit 0: pnpm adds an ELIFECYCLE
// line to any other); an unknown flag is a mistake, never a file name.
if (!file || file === '--help' || file === '-h') {
  console.log(USAGE);
  process.exit(0);
}
if (file.startsWith('-')) {
  console.error(`unknown option ${file}\n${USAGE}`);
  process.exit(64);
}
let set: PrivateKeySet = { keys: [] };
try {
  set = JSON.parse(await readFile(file, 'utf8')) as PrivateKeySet;
  const problem = keySetProblem(set);
  if (problem) throw new Error(problem);
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
    console.error(`${file}: ${(err as Error).message}`);
    process.exit(65);
  }
}
const key = await newSigningKey(`${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`);
// Written beside it, readable by its owner only, then moved over it: never half a file, never 0644.
const next = `${file}.${process.pid}.tmp`;
await mkdir(dirname(file), { recursive: true });
await writeFile(next, `${JSON.stringify({ keys: [key, ...set.keys] }, null, 2)}\n`, { mode: 0o600 });
await rename(next, file);
console.error(`${file}: new signing key ${key.kid} first, ${set.keys.length} older kept for verifying`);
