import { describe, expect, it } from 'vitest';
import { startupHint, type Probe } from '../startupHint.js';

const cantOpen = Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });
/** A file system where `writable` paths may be written and `existing` ones exist. */
const fs = (existing: string[], writable: string[]): Probe => ({
  uid: 1000,
  exists: (p) => existing.includes(p),
  writable: (p) => writable.includes(p),
});

describe('startupHint', () => {
  it("the bff image's /data owned by root: says so, and to chown it to this process's uid", () => {
    const hint = startupHint(cantOpen, { DATABASE_URL: 'sqlite:/data/wxauth.db' }, fs(['/data'], []));
    expect(hint).toContain('/data is not writable by uid 1000 (this process)');
    expect(hint).toContain('chown -R 1000:1000');
  });

  it('a folder still to be made: names the nearest one that exists', () => {
    const hint = startupHint(
      Object.assign(new Error('permission denied'), { code: 'EACCES' }),
      { DATABASE_URL: 'sqlite:/srv/wxauth/data/wxauth.db' },
      fs(['/srv'], []),
    );
    expect(hint).toMatch(/^\/srv is not writable/);
  });

  it('a database file it cannot write, in a folder it can', () => {
    const readonly = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    const probe = fs(['/data', '/data/wxauth.db'], ['/data']);
    expect(startupHint(readonly, { DATABASE_URL: 'sqlite:/data/wxauth.db' }, probe)).toContain('chown -R 1000:1000');
  });

  it('nothing to say when it can write there, the database is MySQL, or the failure is another', () => {
    const ok = fs(['/data'], ['/data']);
    expect(startupHint(cantOpen, { DATABASE_URL: 'sqlite:/data/wxauth.db' }, ok)).toBeUndefined();
    expect(startupHint(cantOpen, { DATABASE_URL: 'mysql://u:p@db/wxauth' }, fs([], []))).toBeUndefined();
    expect(startupHint(new Error('connect ECONNREFUSED'), {}, fs([], []))).toBeUndefined();
  });
});
