import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../../../scripts/host-stand-in.mjs';
import { newMysqlDatabase, REAL_ENV } from '../../../__tests__/harness.js';
import { migrate, openDatabase } from '../../../adapters/store/db.js';
import { createStore } from '../../../adapters/store/store.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SECRET = 'whsec-test-0123456789abcdef0123456789abcdef';
const PHONE = '13800138000';

const engines: [string, () => Promise<string>][] = [
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-crash-')), 'wxauth.db')}`],
  ['MariaDB', newMysqlDatabase],
];

const until = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** The built BFF (`node bff/dist/server.js`) as its own process, in real mode, logging to `output`. */
function bffProcess(env: Record<string, string>, output: string[]) {
  let child: ChildProcess;
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    url,
    async start() {
      child = spawn(process.execPath, [join(ROOT, 'bff/dist/server.js')], {
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      await until('the BFF to listen', async () => {
        if (child.exitCode !== null) throw new Error(`the BFF exited (${child.exitCode}): ${output.join('')}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      });
    },
    kill: (signal: NodeJS.Signals) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

describe('the BFF killed (SIGKILL) while it delivers an event', () => {
  beforeAll(() => {
    execFileSync('pnpm', ['--filter', '@wxauth/bff', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it.each(engines)(
    'on %s: after the restart the event is delivered again, and the receiver keeps it once by its id',
    async (_engine, databaseUrl) => {
      const DATABASE_URL = await databaseUrl();
      // A customer bound before (the built-in directory), whose WeChat binding the host then revokes.
      const db = openDatabase(DATABASE_URL);
      await migrate(db);
      const store = createStore(db);
      const identity = await store.upsertIdentity({ appid: REAL_ENV.WX_APPID, openid: `oCrash${'x'.repeat(22)}` });
      const { customer } = await store.bindCustomer(identity.id, {
        ref: null,
        phone: PHONE,
        localPrefix: '',
        method: 'sms',
      });
      await store.close();

      const host: HostStandIn = await startHostStandIn({ secret: SECRET });
      cleanup.push(() => host.close());
      const output: string[] = [];
      const bff = bffProcess(
        {
          ...REAL_ENV,
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          DATABASE_URL,
          HOST_SIGNING_SECRET: SECRET,
          EVENTS_WEBHOOK_URL: host.eventsUrl,
          LOG_LEVEL: 'debug',
        },
        output,
      );
      await bff.start();
      cleanup.push(() => bff.kill('SIGTERM'));

      // The receiver holds the delivery long enough for the kill to land in the middle of it.
      host.state.delayMs = 3000;
      const revoke = await fetch(`${bff.url}/internal/customers/${customer.ref}/revoke-wechat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${REAL_ENV.INTERNAL_API_TOKEN}` },
      });
      expect(revoke.status).toBe(204);
      await until('the delivery to be under way', () => host.state.inFlight > 0);
      await bff.kill('SIGKILL');
      expect(host.state.deliveries).toBe(0);

      host.state.delayMs = 0;
      await bff.start();
      await until('the event delivered twice', () => host.state.deliveries === 2);
      const metrics = async () => (await fetch(`${bff.url}/metrics`)).text();
      await until('the outbox to be empty', async () => /^wxauth_events_pending 0$/m.test(await metrics()));
      // Nothing more arrives: the restarted BFF marked it delivered.
      await new Promise((r) => setTimeout(r, 1500));
      expect(host.state.deliveries).toBe(2);
      expect(host.events()).toHaveLength(1);
      expect(host.events()[0]).toMatchObject({
        type: 'wechat.revoked',
        data: { customerId: customer.ref, identities: [{ appid: REAL_ENV.WX_APPID, openid: identity.openid }] },
      });
      expect(host.state.refused).toBe(0);
      expect(await metrics()).toMatch(/^wxauth_events_failed 0$/m);
      expect(await metrics()).toMatch(/^wxauth_event_deliveries_total\{outcome="delivered"\} 1$/m);
      // The BFF logged the delivery by id, never a phone.
      const logs = output.join('');
      expect(logs).toContain(host.events()[0]!.id);
      expect(logs).not.toContain(PHONE);
    },
    60_000,
  );
});
