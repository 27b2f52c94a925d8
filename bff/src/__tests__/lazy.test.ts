import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, it, vi } from 'vitest';
import { startServer } from '../compose.js';

// panva's oidc-provider is the heaviest module the BFF has (12–14 MB of RSS at idle, measured for issue 29's
// "Peers"): a BFF that is no OpenID Connect provider never loads it, as it never loads ioredis without Redis.
const loaded = vi.hoisted(() => ({ oidcProvider: false }));
vi.mock('oidc-provider', async (importOriginal) => {
  loaded.oidcProvider = true;
  return importOriginal();
});

it('a BFF without OIDC_CLIENTS_FILE never loads oidc-provider', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-lazy-'));
  const running = await startServer(
    { PORT: '0', WXSIM_PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'demo.db')}` },
    pino.destination('/dev/null'),
    () => {},
  );
  try {
    expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
    expect(loaded.oidcProvider).toBe(false);
  } finally {
    await running.close();
  }
});
