import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../platform/config.js';
import { keySetProblem, newSigningKey, type PrivateKeySet } from './tokens.js';

/**
 * Reads JWT_KEYS_FILE, checked at start. `create` (the demo): a missing file is made with one new
 * key, written readable by its owner only, and kept, so tokens outlive a restart.
 */
export async function readKeySet(file: string, create: boolean): Promise<PrivateKeySet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create)
      throw new ConfigError([`JWT_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`]);
    const set: PrivateKeySet = { keys: [await newSigningKey(`demo-${Date.now().toString(36)}`)] };
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(set, null, 2)}\n`, { mode: 0o600 });
    return set;
  }
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    throw new ConfigError([`JWT_KEYS_FILE: ${file} is not JSON`]);
  }
  const problem = keySetProblem(set);
  if (problem) throw new ConfigError([`JWT_KEYS_FILE: ${problem} (${file})`]);
  return set as PrivateKeySet;
}
