import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keySetProblem, newSigningKey, type PrivateKeySet } from './services/tokens.js';

/**
 * `pnpm keygen:jwt <file>`: puts a new signing key first in the JWK Set at <file> (made if missing),
 * for JWT_KEYS_FILE. Rotation: run it, deploy (the new key signs, the old still verifies), and once
 * the old tokens have expired (JWT_TTL_SECONDS), delete the old key from the file and deploy again.
 */
const file = process.argv[2];
if (!file || file.startsWith('-')) {
  console.error('usage: pnpm keygen:jwt <file>   (a JWK Set of private keys, for JWT_KEYS_FILE)');
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
