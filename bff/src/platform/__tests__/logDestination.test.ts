import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logDestination } from '../logDestination.js';

describe('logDestination', () => {
  it('writes each line before the log call returns: nothing waits in a buffer for a kill to lose', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wxauth-log-')), 'out.log');
    const fd = openSync(file, 'w');
    try {
      const log = pino({ base: null }, logDestination(fd));
      log.info({ requestId: 'r1' }, 'request');
      expect(readFileSync(file, 'utf8')).toMatch(/^\{.*"requestId":"r1".*\}\n$/);
      log.info({ requestId: 'r2' }, 'request');
      expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    } finally {
      closeSync(fd);
    }
  });
});
