import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHostStandIn, type HostStandIn } from '../../../../../scripts/host-stand-in.mjs';
import { APP, INTERNAL_TOKEN, SESSION_SECRET, startBff, type Bff } from '../../../__tests__/harness.js';
import { createOutboxWorker, hostClients } from '../../accounts/index.js';
import { adminMain, type AdminIo } from '../index.js';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SECRET = 'host-signing-secret-0123456789abcdef-test';
const PHONE = '13800138000';

const hosts: HostStandIn[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** `node bff/dist/admin.js …`, as `pnpm admin` and the image run it: its own process, no terminal. */
const admin = (env: Record<string, string>, ...args: string[]) =>
  new Promise<Run>((resolve) =>
    execFile(
      process.execPath,
      [join(ROOT, 'bff/dist/admin.js'), ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (err, out, errText) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out, err: errText }),
    ),
  );
const json = <T>(run: Run): T => {
  expect(run, run.err).toMatchObject({ code: 0 });
  return JSON.parse(run.out) as T;
};

/**
 * A deployment as the BFF runs it (events to a host, a real login and binding through the harness), and
 * the environment that BFF would start with: what the admin command reads.
 */
async function deployment(engine: 'SQLite' | 'MariaDB') {
  const host = await startHostStandIn({ secret: SECRET, customers: [] });
  hosts.push(host);
  const bff = await startBff({
    ...(engine === 'SQLite' ? { sqliteFile: true } : { mysql: true, redis: true }),
    startAt: Date.now(),
    env: { HOST_SIGNING_SECRET: SECRET, EVENTS_WEBHOOK_URL: host.eventsUrl },
  });
  const env: Record<string, string> = {
    WX_APPID: APP.appid,
    WX_APPSECRET: APP.secret,
    WX_OPEN_BASE: bff.simOrigin,
    WX_API_BASE: bff.simOrigin,
    PUBLIC_URL: 'https://h5.example.com',
    SESSION_SECRET,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
    HOST_SIGNING_SECRET: SECRET,
    EVENTS_WEBHOOK_URL: host.eventsUrl,
    DATABASE_URL: bff.databaseUrl,
    ...(bff.redisPrefix !== undefined && { REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: bff.redisPrefix }),
  };
  // The outbox as every BFF instance delivers it; a receiver down for good gives an event up at once.
  const worker = createOutboxWorker({
    db: bff.db,
    url: host.eventsUrl,
    client: hostClients(bff.config.accounts).events!,
    log: pino({ level: 'silent' }),
    // The command marks events due by the wall clock, as it runs beside the BFF.
    now: Date.now,
    settings: { giveUpAfterMs: 0 },
  });
  return { bff, env, host, worker };
}

const sessionOf = async (browser: ReturnType<Bff['browser']>) => (await browser.request('/api/session')).status;

interface Shown {
  customer: { id: string; phone: string | null };
  bindings: Array<{
    appid: string;
    method: string | null;
    lastSignIn: string | null;
    sessionAliveUntil: string | null;
  }>;
  findings: string[];
  events: Array<{ id: string; type: string; state: string }>;
}

describe.each(['SQLite', 'MariaDB'] as const)('wxauth admin on %s', (engine) => {
  beforeAll(() => {
    execFileSync('pnpm', ['--filter', '@wxauth/bff', 'build'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);

  // Each command is a process of its own: a second or two each on a busy machine.
  it(
    'support finds a customer by phone, sees why, resends a failed event, ends sessions and unbinds with a reason',
    { timeout: 120_000 },
    async () => {
      const { bff, env, host, worker } = await deployment(engine);
      const amy = bff.browser();
      await host.stop();
      await amy.loginAndBind('amy', PHONE, bff.inbox);
      await worker.runOnce();
      await host.start();

      // Found by phone: the binding (how it was made), the session alive, the event the host never got.
      const shown = json<Shown>(await admin(env, 'customer', 'show', PHONE, '--json'));
      const ref = shown.customer.id;
      expect(shown.customer.phone).toBe('138****8000');
      expect(shown.bindings).toEqual([
        expect.objectContaining({
          appid: APP.appid,
          method: 'sms',
          lastSignIn: expect.any(String),
          sessionAliveUntil: expect.any(String),
        }),
      ]);
      const [failed] = shown.events;
      expect(failed).toMatchObject({ type: 'wechat.bound', state: 'failed' });
      expect(shown.findings.join('\n')).toContain(`events redeliver ${failed!.id}`);
      // The table says the same, with no full phone number in it.
      const table = await admin(env, 'customer', 'show', PHONE);
      expect(table.code).toBe(0);
      expect(table.out).toMatch(/^customer \S+ \(local\)\s+phone 138\*\*\*\*8000/);
      expect(table.out).toContain('bindings\napp ');
      expect(table.out).not.toContain(PHONE);

      // Resend: refused without a terminal unless --yes; then the BFF's worker delivers it, same id.
      expect(json<unknown[]>(await admin(env, 'events', 'list', '--failed', '--json'))).toEqual([
        expect.objectContaining({ id: failed!.id, state: 'failed' }),
      ]);
      expect(await admin(env, 'events', 'redeliver', failed!.id)).toMatchObject({
        code: 64,
        err: expect.stringContaining('--yes'),
      });
      expect(json(await admin(env, 'events', 'redeliver', failed!.id, '--yes', '--json'))).toEqual({
        redelivered: [failed!.id],
        pending: [],
      });
      await worker.runOnce();
      expect(host.events().map((e: { id: string }) => e.id)).toEqual([failed!.id]);
      expect(json(await admin(env, 'events', 'list', '--since', '1h', '--json'))).toEqual([
        expect.objectContaining({ id: failed!.id, state: 'delivered' }),
      ]);

      // Sessions ended, bindings kept: the next WeChat login is silent again.
      expect(await sessionOf(amy)).toBe(200);
      const revoke = await admin(
        env,
        'customer',
        'revoke-sessions',
        ref,
        '--reason',
        'phone stolen',
        '--yes',
        '--as',
        'alice',
      );
      expect(revoke).toMatchObject({ code: 0, out: expect.stringContaining('sessions ended for 1 WeChat identity') });
      expect(await sessionOf(amy)).toBe(401);
      expect((await amy.request('/internal/forward-auth/bound')).status).toBe(401);
      expect(await (await amy.login({ user: 'amy' })).json()).toMatchObject({ next: 'home' });

      // Unbound with a reason: the same effects and event as the user's own unbind.
      const unbind = await admin(
        env,
        'customer',
        'unbind',
        ref,
        '--reason',
        'asked on the phone',
        '--yes',
        '--as',
        'alice',
      );
      expect(unbind).toMatchObject({
        code: 0,
        out: expect.stringContaining(`unbound 1 WeChat identity of customer ${ref}`),
      });
      expect(await sessionOf(amy)).toBe(401);
      expect(await (await amy.login({ user: 'amy' })).json()).toMatchObject({ next: 'bind' });
      const outbox = await bff.db.selectFrom('events_outbox').select(['type', 'payload']).orderBy('seq').execute();
      expect(outbox.map((e) => e.type)).toEqual(['wechat.bound', 'wechat.unbound']);
      expect(JSON.parse(outbox[1]!.payload)).toMatchObject({ data: { customerId: ref, reason: 'admin' } });
      const after = json<Shown>(await admin(env, 'customer', 'show', ref, '--json'));
      expect(after.bindings).toEqual([]);
      expect(after.findings[1]).toMatch(
        /^last binding change: admin.unbind at \S+ by admin alice \(reason: asked on the phone\)$/,
      );

      // The reveal shows the number and is itself audited; the trail has every step, by whom.
      expect(
        json<Shown>(await admin(env, 'customer', 'show', ref, '--reveal', '--json', '--as', 'bob')).customer.phone,
      ).toBe(PHONE);
      const trail = json<Array<{ action: string; actor: { kind: string; name: string | null } }>>(
        await admin(env, 'audit', '--json'),
      );
      expect(trail.map((a) => [a.action, a.actor.kind, a.actor.name])).toEqual([
        ['admin.reveal', 'admin', 'bob'],
        ['admin.unbind', 'admin', 'alice'],
        ['admin.revoke-sessions', 'admin', 'alice'],
        ['events.redeliver', 'admin', expect.stringContaining('@')],
        ['bound', 'user', null],
      ]);
      expect((await admin(env, 'audit', '--customer', ref, '--since', '2000-01-01')).out).toMatch(
        /^when\s+action\s+customer/,
      );
    },
  );

  it(
    'a wrong id or phone says so (exit 1); a wrong command or option is a usage error (exit 64)',
    { timeout: 120_000 },
    async () => {
      const { env } = await deployment(engine);
      expect(await admin(env, 'customer', 'show', '13900139000')).toMatchObject({
        code: 1,
        err: 'wxauth admin: no customer has the phone 139****9000 (nor the id 13900139000)\n',
      });
      expect(await admin(env, 'customer', 'unbind', 'C-404', '--reason', 'x', '--yes')).toMatchObject({
        code: 1,
        err: 'wxauth admin: no customer has the id "C-404"\n',
      });
      expect(await admin(env, 'events', 'redeliver', 'evt_nope', '--yes')).toMatchObject({ code: 1 });
      for (const args of [
        ['customer', 'unbind', 'C-1', '--yes'],
        ['customer', 'show'],
        ['customer', 'frob', 'x'],
        ['events', 'list', '--since', 'yesterday'],
        ['audit', '--reveal'],
        ['events', 'list', '--nope'],
      ])
        expect((await admin(env, ...args)).code, args.join(' ')).toBe(64);
      expect(await admin(env, '--help')).toMatchObject({
        code: 0,
        out: expect.stringContaining('usage: wxauth admin'),
      });
    },
  );
});

describe('wxauth admin at a terminal', () => {
  it('a dangerous command asks first: "no" does nothing (exit 1), "y" does it', async () => {
    const { bff, env } = await deployment('SQLite');
    await bff.browser().loginAndBind('amy', PHONE, bff.inbox);
    const asked: string[] = [];
    const out: string[] = [];
    const io = (answer: boolean): AdminIo => ({
      out: (t) => void out.push(t),
      err: (t) => void out.push(t),
      interactive: true,
      confirm: async (q) => (asked.push(q), answer),
      user: 'carol',
      host: 'desk',
    });
    const unbind = ['customer', 'unbind', '1', '--reason', 'fraud check'];
    expect(await adminMain(unbind, env, io(false))).toBe(1);
    expect(asked).toEqual(['Unbind every WeChat identity of customer 1 (reason: fraud check)? [y/N] ']);
    expect(out.join('')).toBe('nothing done\n');
    expect(await bff.db.selectFrom('wechat_identities').select('customer_id').execute()).toEqual([{ customer_id: 1 }]);
    expect(await adminMain(unbind, env, io(true))).toBe(0);
    expect(await bff.db.selectFrom('wechat_identities').select('customer_id').execute()).toEqual([
      { customer_id: null },
    ]);
    const [row] = await bff.db.selectFrom('audit_log').select(['action', 'actor']).orderBy('id', 'desc').execute();
    expect(row).toEqual({ action: 'admin.unbind', actor: 'carol@desk' });
  });
});
