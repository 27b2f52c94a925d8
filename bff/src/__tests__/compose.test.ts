import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../platform/config.js';
import { startServer, type Running } from '../compose.js';
import { newSigningKey } from '../features/site/index.js';
import { newMysqlDatabase, REAL_ENV } from './harness.js';

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const lines: string[] = [];
const sink = { write: (line: string) => void lines.push(line) };
const dataDir = () => mkdtempSync(join(tmpdir(), 'wxauth-main-'));

async function start(env: Record<string, string>) {
  const said: string[] = [];
  const r = await startServer({ PORT: '0', ...env }, sink, (text) => said.push(text));
  running.push(r);
  return { r, said: said.join('\n') };
}

const listening = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
const freePort = async () => {
  const s = await listening(0);
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
};

describe('startServer', () => {
  it('a step that fails closes what the steps before it opened, once: the simulator, the database, the state', async () => {
    const taken = await listening(0);
    const port = (taken.address() as { port: number }).port;
    const simPort = await freePort();
    const db = `sqlite:${join(dataDir(), 'demo.db')}`;
    const env = { PORT: String(port), WXSIM_PORT: String(simPort), DATABASE_URL: db };
    // Listening is the last step: the simulator, the SQLite file and its state store are open by then.
    await expect(startServer(env, sink, () => {})).rejects.toThrow(/EADDRINUSE/);
    await new Promise((r) => taken.close(r));
    // The simulator's port is free again, and the same file opens and migrates in a new start.
    await new Promise((r) => listening(simPort).then((s) => s.close(r)));
    const { r } = await start({ WXSIM_PORT: '0', DATABASE_URL: db });
    expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
  });

  it('closing twice closes once', async () => {
    const { r } = await start({ DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}`, WXSIM_PORT: '0' });
    await r.close();
    await r.close();
    await expect(fetch(`${r.url}/healthz`)).rejects.toThrow();
  });

  it('demo mode: starts the seeded simulator, says so, and the journey reaches it', async () => {
    const { r, said } = await start({ DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}`, WXSIM_PORT: '0' });
    expect(said).toContain('DEMO MODE');
    expect(r.sim).toBeDefined();
    const res = await fetch(`${r.url}/api/auth/wechat/authorize`, { redirect: 'manual' });
    const wechat = new URL(res.headers.get('location')!.replace('#wechat_redirect', ''));
    expect(wechat.origin).toBe(r.sim!.origin.replace('127.0.0.1', 'localhost'));
    const back = await fetch(wechat, { redirect: 'manual' });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toMatch(/\/auth\?code=\w{32}&state=\w{32}$/);
    expect((await fetch(`${r.url}/api/dev/sms-inbox?phone=13800138000`)).status).toBe(404);
    // The banner's 换个新用户 goes to the simulator, as the browser reaches it.
    expect(await (await fetch(`${r.url}/api/meta`)).json()).toMatchObject({ demo: true, simulator: wechat.origin });
    // The H5 app's JS-SDK is the simulator's stand-in, served as WeChat's script.
    const { jweixin } = (await (await fetch(`${r.url}/api/meta`)).json()) as { jweixin: string };
    expect(jweixin).toBe(`${wechat.origin}/open/js/jweixin-1.6.0.js`);
    const script = await fetch(jweixin.replace('localhost', '127.0.0.1'));
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it("demo mode: the follow login's scan link is on the simulator as the browser reaches it, with 换个新用户's user", async () => {
    const { r } = await start({ DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}`, WXSIM_PORT: '0' });
    const { simulator } = (await (await fetch(`${r.url}/api/meta`)).json()) as { simulator: string };
    const res = await fetch(`${r.url}/api/auth/follow/qr`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(r.config.publicUrl).origin },
      body: JSON.stringify({ returnTo: '/' }),
    });
    expect(res.status).toBe(200);
    const { qr, demoScan } = (await res.json()) as { qr: string; demoScan: string };
    expect(new URL(qr).origin).toBe(simulator);
    // The banner's 换个新用户 keeps the new user in the simulator's cookie on that origin: a scan page on
    // another host name (127.0.0.1) would scan as the default user, whom the confirm page then refuses.
    expect(new URL(demoScan).origin).toBe(simulator);
    const newUser = await fetch(
      `${simulator.replace('localhost', '127.0.0.1')}/__sim/new-user?next=${r.config.publicUrl}/auth`,
      {
        redirect: 'manual',
      },
    );
    const cookie = newUser.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await (await fetch(demoScan.replace('localhost', '127.0.0.1'), { headers: { cookie } })).text();
    expect(page).toContain(`以模拟用户 <b>${cookie.split('=')[1]}</b> 扫码`);
  });

  it("demo mode: the simulator's account pushes to this BFF's message endpoint, signed and encrypted", async () => {
    const { r, said } = await start({ DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}`, WXSIM_PORT: '0' });
    const sim = r.sim!.origin;
    const { appid, secret } = r.apps.official;
    const token = (await (
      await fetch(`${sim}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)
    ).json()) as { access_token: string };
    const qr = (await (
      await fetch(`${sim}/cgi-bin/qrcode/create?access_token=${token.access_token}`, {
        method: 'POST',
        body: JSON.stringify({ action_name: 'QR_STR_SCENE', action_info: { scene: { scene_str: 'not_ours' } } }),
      })
    ).json()) as { ticket: string };
    const scan = await fetch(`${sim}/__sim/oa/scan`, {
      method: 'POST',
      body: JSON.stringify({ appid, ticket: qr.ticket, user: 'demo' }),
    });
    // Nobody claims the scene and the demo forwards nowhere: the endpoint answers success, at once.
    expect(await scan.json()).toEqual({ event: 'subscribe', delivered: true, attempts: 1, reply: null });
    expect(said).toContain(`/__sim/oa/chat/view?appid=${appid}&user=demo`);
  });

  it("demo mode: the authorization proxy keeps the demo's port in its callback, so it works on pnpm start", async () => {
    const { r } = await start({ DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}`, WXSIM_PORT: '0' });
    const port = new URL(r.url).port;
    const link = new URLSearchParams({
      appid: r.apps.official.appid,
      redirect_uri: `http://localhost:${port}/landing`,
    });
    const res = await fetch(`http://localhost:${port}/wx-proxy/?${link}`, { redirect: 'manual' });
    const wechat = new URL(res.headers.get('location')!.replace('#wechat_redirect', ''));
    expect(wechat.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/wx-proxy/callback`);
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    const back = await fetch(wechat, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    expect(callback.origin).toBe(`http://localhost:${port}`);
    const relayed = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(relayed.headers.get('location')).toMatch(new RegExp(`^http://localhost:${port}/landing\\?code=\\w+$`));
  });

  it('NODE_ENV=production with no WX_APPID: refuses to start the demo unless WXAUTH_DEMO=1', async () => {
    const env = { NODE_ENV: 'production', WX_APPID: '', PORT: '0', WXSIM_PORT: '0' };
    await expect(startServer(env, sink, () => {})).rejects.toThrow(/WXAUTH_DEMO=1/);
    const { r, said } = await start({ ...env, WXAUTH_DEMO: '1', DATABASE_URL: `sqlite:${join(dataDir(), 'demo.db')}` });
    expect(said).toContain('DEMO MODE');
    expect(r.config.sessionSecret).not.toBe('demo-only-secret-never-use-in-production-0000');
  });

  it('demo mode: makes one identity-token key in its data folder and keeps it across restarts', async () => {
    const dir = dataDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`, WXSIM_PORT: '0' };
    const kids = async (r: Running) =>
      ((await (await fetch(`${r.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
        (k) => k.kid,
      );
    const first = await start(env);
    const before = await kids(first.r);
    expect(before).toHaveLength(1);
    expect(statSync(join(dir, 'jwt-keys.json')).mode & 0o777).toBe(0o600);
    await running.pop()!.close();
    expect(await kids((await start(env)).r)).toEqual(before);
  });

  it('a JWT_KEYS_FILE that cannot be used stops the start, naming the variable', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'bad.json'), '{"keys": [{"kty": "RSA"}]}');
    const env = { ...REAL_ENV, PORT: '0', DATABASE_URL: 'sqlite::memory:' };
    await expect(startServer({ ...env, JWT_KEYS_FILE: join(dir, 'bad.json') }, sink, () => {})).rejects.toThrow(
      /JWT_KEYS_FILE: every key must be a private EC P-256 key/,
    );
    await expect(startServer({ ...env, JWT_KEYS_FILE: join(dir, 'missing.json') }, sink, () => {})).rejects.toThrow(
      /JWT_KEYS_FILE: cannot read/,
    );
  });

  it('OIDC_CLIENTS_FILE: a bad client file stops the start, naming the field; a good one serves discovery', async () => {
    const dir = dataDir();
    const env = { ...REAL_ENV, PORT: '0', DATABASE_URL: 'sqlite::memory:', NODE_ENV: 'production' };
    const entry = { client_id: 'crm', redirect_uris: ['http://crm.example.com/cb'] };
    writeFileSync(join(dir, 'clients.json'), JSON.stringify({ clients: [entry] }));
    await expect(startServer({ ...env, OIDC_CLIENTS_FILE: join(dir, 'clients.json') }, sink, () => {})).rejects.toThrow(
      /OIDC_CLIENTS_FILE: clients\.0\.redirect_uris\.0: expected an https URL/,
    );
    writeFileSync(
      join(dir, 'good.json'),
      JSON.stringify({ clients: [{ ...entry, redirect_uris: ['https://crm.example.com/cb'] }] }),
    );
    await expect(startServer({ ...env, OIDC_CLIENTS_FILE: join(dir, 'good.json') }, sink, () => {})).rejects.toThrow(
      /set JWT_KEYS_FILE too/,
    );
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [await newSigningKey('k1')] }));
    const { r } = await start({
      ...env,
      PUBLIC_URL: 'https://h5.example.com',
      OIDC_CLIENTS_FILE: join(dir, 'good.json'),
      JWT_KEYS_FILE: join(dir, 'keys.json'),
    });
    const meta = (await (await fetch(`${r.url}/oidc/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(meta.issuer).toBe('https://h5.example.com/oidc');
  });

  it('real mode never starts the simulator and points at WeChat', async () => {
    const { r, said } = await start({
      ...REAL_ENV,
      DATABASE_URL: `sqlite:${join(dataDir(), 'real.db')}`,
    });
    expect(r.sim).toBeUndefined();
    expect(said).toBe('');
    const res = await fetch(`${r.url}/api/auth/wechat/authorize`, { redirect: 'manual' });
    expect(res.headers.get('location')).toMatch(
      /^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=wx0123456789abcdef&/,
    );
    expect((await fetch(`${r.url}/api/dev/sms-inbox?phone=13800138000`)).status).toBe(404);
  });

  it('runs on MySQL and Redis: migrates, reports them ready, and two instances start on one database at once', async () => {
    const env = { ...REAL_ENV, DATABASE_URL: await newMysqlDatabase(), REDIS_URL: inject('redisUrl') };
    const [a, b] = await Promise.all([start(env), start(env)]);
    for (const { r } of [a, b]) expect((await fetch(`${r.url}/readyz`)).status).toBe(200);
    const listening = lines.filter((l) => l.includes('wxauth BFF listening')).at(-1)!;
    expect(JSON.parse(listening)).toMatchObject({ database: 'mysql', state: 'redis' });
    expect(lines.join('')).not.toContain('wxauth:wxauth@');
  });

  it('stops with a clear message when Redis or the database cannot be reached', async () => {
    const dead = 'redis://127.0.0.1:9';
    await expect(
      startServer({ ...REAL_ENV, PORT: '0', DATABASE_URL: 'sqlite::memory:', REDIS_URL: dead }, sink, () => {}),
    ).rejects.toThrow(/^REDIS_URL: cannot connect to Redis/);
    await expect(
      startServer({ ...REAL_ENV, PORT: '0', DATABASE_URL: 'mysql://u:p@127.0.0.1:9/wxauth' }, sink, () => {}),
    ).rejects.toThrow(/^DATABASE_URL: cannot migrate the database \(connect ECONNREFUSED/);
  });

  it('stops before listening when the configuration is wrong, naming the variable', async () => {
    await expect(startServer({ WX_APPID: 'wx0123456789abcdef' }, sink, () => {})).rejects.toThrow(ConfigError);
    await expect(startServer({ WX_APPID: 'wx0123456789abcdef' }, sink, () => {})).rejects.toThrow(
      /WX_APPSECRET: required/,
    );
  });

  it('creates the SQLite file on first start and keeps its data across restarts', async () => {
    const url = `sqlite:${join(dataDir(), 'nested', 'wxauth.db')}`;
    const first = await start({ DATABASE_URL: url, WXSIM_PORT: '0' });
    const res = await fetch(`${first.r.url}/api/auth/wechat/authorize`, { redirect: 'manual' });
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const back = new URL(
      (await fetch(res.headers.get('location')!.replace('#wechat_redirect', ''), { redirect: 'manual' })).headers.get(
        'location',
      )!,
    );
    const login = await fetch(`${first.r.url}/api/auth/wechat/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') }),
    });
    expect(login.status).toBe(200);
    await running.pop()!.close();

    const { openDatabase, migrate } = await import('../adapters/store/db.js');
    const db = openDatabase(url);
    await migrate(db);
    expect(await db.selectFrom('wechat_identities').select('openid').execute()).toHaveLength(1);
    await db.destroy();
    await start({ DATABASE_URL: url, WXSIM_PORT: '0' });
  });

  it('refuses a webhook directory while customers made by the built-in table have bare numeric ids', async () => {
    const url = `sqlite:${join(dataDir(), 'wxauth.db')}`;
    const { openDatabase, migrate } = await import('../adapters/store/db.js');
    const db = openDatabase(url);
    await migrate(db);
    const t = Date.now();
    await db
      .insertInto('customers')
      .values({ ref: '1', phone: '13800138000', display_name: null, created_at: t, updated_at: t })
      .execute();
    const env = {
      ...REAL_ENV,
      DATABASE_URL: url,
      CUSTOMER_DIRECTORY: 'webhook',
      DIRECTORY_URL: 'http://127.0.0.1:9/wxauth',
      HOST_SIGNING_SECRET: 'h'.repeat(32),
    };
    await expect(start(env)).rejects.toThrow(
      /^CUSTOMER_DIRECTORY=webhook: 1 customers made by the built-in table have numeric ids/,
    );
    // The README's statement renames them; then it starts.
    await db
      .updateTable('customers')
      .set({ ref: 'wxauth-1' })
      .where('origin', '=', 'local')
      .where('ref', 'not like', 'wxauth-%')
      .execute();
    await db.destroy();
    await start(env);
  });
});
