import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** What startupHint looks at: who this process is, and what it may write. */
export interface Probe {
  uid: number | undefined;
  exists(path: string): boolean;
  writable(path: string): boolean;
}

const thisProcess: Probe = { uid: process.getuid?.(), exists: existsSync, writable: canWrite };

/**
 * What a person can do about a start-up failure, when the cause is theirs to fix. Today: an SQLite
 * folder this process cannot write, as with a bind mount owned by root on the bff image's /data
 * (it runs as uid 1000): better-sqlite3 only says "unable to open database file".
 */
export function startupHint(
  err: unknown,
  env: Record<string, string | undefined>,
  probe: Probe = thisProcess,
): string | undefined {
  const code = String((err as { code?: unknown } | null)?.code);
  if (!['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'EACCES', 'EPERM'].includes(code)) return undefined;
  const url = env.DATABASE_URL ?? 'sqlite:./data/wxauth.db';
  if (!url.startsWith('sqlite:') || url === 'sqlite::memory:') return undefined;
  const file = resolve(url.slice('sqlite:'.length));
  // The nearest folder that exists is the one that must let this process in.
  let folder = dirname(file);
  while (!probe.exists(folder) && dirname(folder) !== folder) folder = dirname(folder);
  if (probe.writable(folder) && (!probe.exists(file) || probe.writable(file))) return undefined;
  const who = probe.uid === undefined ? 'this process' : `uid ${probe.uid} (this process)`;
  const owner = probe.uid === undefined ? '<user>' : `${probe.uid}:${probe.uid}`;
  return (
    `${folder} is not writable by ${who}, so the SQLite database ${file} cannot be opened. ` +
    `Give the folder to that user: chown -R ${owner} <the folder> (on Docker, the host folder mounted ` +
    `there), or use a named volume, which Docker creates with the right owner.`
  );
}
