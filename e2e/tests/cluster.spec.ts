import { createConnection } from 'mysql2/promise';
import { Phone } from '../cluster.mjs';
import { expect, shot, test, type Cluster } from './fixtures';

// One cluster for the file, and its journeys one after another: some of them stop its parts.
test.describe.configure({ mode: 'serial', timeout: 120_000 });

/** The worker's cluster (see beforeAll): the helpers below read it too. */
let cluster: Cluster;
let phones = 0;
/** A new phone with a loopback address and a WeChat user of its own. */
const newPhone = () => {
  const n = ++phones;
  return new Phone(`127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`, `cluster${String(n).padStart(5, '0')}`);
};

test.beforeAll(({ cluster: started }) => {
  cluster = started;
});

const [A, B] = [() => cluster.bffs[0]!.url, () => cluster.bffs[1]!.url];

async function smsCode(phone: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${cluster.inbox}?phone=${phone}`);
    if (res.ok) return ((await res.json()) as { code: string }).code;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no SMS code for ${phone}`);
}

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await createConnection(cluster.databaseUrl);
  try {
    return (await conn.query(sql, params))[0] as T[];
  } finally {
    await conn.end();
  }
}

test('1,000 concurrent jssdk-config requests across both instances, cold: one token and one ticket fetch', async () => {
  const url = encodeURIComponent(`${cluster.origin}/orders?id=1`);
  const answers = await Promise.all(
    Array.from({ length: 1000 }, () => fetch(`${cluster.origin}/api/wechat/jssdk-config?url=${url}`)),
  );
  expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
  const signatures = await Promise.all(answers.map((r) => r.json() as Promise<{ signature: string }>));
  expect(signatures.every((s) => /^[0-9a-f]{40}$/.test(s.signature))).toBe(true);
  expect(await cluster.simStats()).toMatchObject({ '/cgi-bin/stable_token': 1, '/cgi-bin/ticket/getticket': 1 });
});

test('a login started on one instance finishes on the other, and the session works on both', async () => {
  const phone = newPhone();
  const { code, state } = await phone.authorize(A());
  const done = await phone.finish(B(), { code, state });
  expect(done.status).toBe(200);
  expect(done.json()).toMatchObject({ next: 'bind' });
  for (const origin of [A(), B()]) expect((await phone.send(`${origin}/api/session`)).status).toBe(200);
  // WeChat's double callback, or a refresh, reaching the other instance: the first login's outcome.
  const again = await phone.finish(A(), { code, state });
  expect(again.status).toBe(200);
  expect(again.json()).toMatchObject({ next: 'bind' });

  // Phone binding across them too: the code sent by one is checked by the other.
  expect((await phone.send(`${A()}/api/sms/send`, { method: 'POST', json: { phone: '13900000001' } })).status).toBe(
    200,
  );
  const bound = await phone.send(`${B()}/api/account/bind`, {
    method: 'POST',
    json: { phone: '13900000001', smsCode: await smsCode('13900000001') },
  });
  expect(bound.status).toBe(200);
  expect((await phone.send(`${A()}/api/session`)).json()).toMatchObject({ bound: true });
});

test('an instance killed mid-flow: the user finishes through nginx on the other', async () => {
  const phone = newPhone();
  const { code, state } = await phone.authorize(A());
  await cluster.bffs[0]!.kill('SIGKILL');
  try {
    // nginx finds the dead upstream refusing connections and passes the request to the live one.
    for (let i = 0; i < 4; i++) {
      const health = await phone.send(`${cluster.origin}/api/session`);
      expect(health.status).toBe(401);
    }
    const done = await phone.finish(cluster.origin, { code, state });
    expect(done.status).toBe(200);
    expect(done.json()).toMatchObject({ next: 'bind' });
    expect((await phone.send(`${cluster.origin}/api/session`)).status).toBe(200);
  } finally {
    await cluster.bffs[0]!.start();
  }
});

test('200 concurrent first logins of 100 WeChat users across both instances make exactly 100 identities', async () => {
  const before = await query<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_identities');
  const users = Array.from({ length: 100 }, () => newPhone());
  // Each user logs in from two phones at once (two browsers, two flows), through nginx's round robin.
  const twins = users.flatMap((u) => [u, new Phone(u.address.replace(/^127\.0\./, '127.1.'), u.wechatUser)]);
  const answers = await Promise.all(twins.map((p) => p.login(cluster.origin)));
  expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
  const after = await query<{ n: number }>('SELECT COUNT(*) AS n FROM wechat_identities');
  expect(Number(after[0]!.n) - Number(before[0]!.n)).toBe(100);
  const dupes = await query('SELECT openid FROM wechat_identities GROUP BY appid, openid HAVING COUNT(*) > 1');
  expect(dupes).toEqual([]);
});

test('MariaDB stopped mid-binding: nothing is half-written, and the retry with the same code succeeds', async () => {
  const phone = newPhone();
  expect((await phone.login(cluster.origin)).status).toBe(200);
  const number = '13900000002';
  expect((await phone.send(`${A()}/api/sms/send`, { method: 'POST', json: { phone: number } })).status).toBe(200);
  const smsCodeValue = await smsCode(number);
  const [identity] = await query<{ id: number }>('SELECT id FROM wechat_identities ORDER BY id DESC LIMIT 1');

  // Hold the identity's row, so the binding stops inside its transaction, after creating the customer.
  const holder = await createConnection(cluster.databaseUrl);
  await holder.query('BEGIN');
  await holder.query('SELECT id FROM wechat_identities WHERE id = ? FOR UPDATE', [identity!.id]);
  const binding = phone.send(`${A()}/api/account/bind`, {
    method: 'POST',
    json: { phone: number, smsCode: smsCodeValue },
  });
  await expect
    .poll(async () => {
      const [rows] = await holder.query(
        "SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'",
      );
      return Number((rows as { n: number }[])[0]!.n);
    })
    .toBe(1);
  holder.on('error', () => undefined);
  await cluster.mariadb.stop();
  const failed = await binding;
  expect(failed.status).toBe(503);
  expect(failed.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });

  await cluster.mariadb.start();
  expect(await query('SELECT id FROM customers WHERE phone = ?', [number])).toEqual([]);
  expect(await query('SELECT customer_id FROM wechat_identities WHERE id = ?', [identity!.id])).toEqual([
    { customer_id: null },
  ]);

  // The user presses the button again, with the same code, once: the binding is made.
  // Through instance A, whose pool held the connection the crash broke: it has replaced it.
  const retried = await phone.send(`${A()}/api/account/bind`, {
    method: 'POST',
    json: { phone: number, smsCode: smsCodeValue },
  });
  expect(retried.status).toBe(200);
  expect(await query('SELECT phone FROM customers WHERE phone = ?', [number])).toEqual([{ phone: number }]);
});

test('Redis stopped: logins fail closed with a clear error, limits still hold, and it all comes back', async () => {
  const signedIn = newPhone();
  expect((await signedIn.login(cluster.origin)).status).toBe(200);
  const inFlight = newPhone();
  const flow = await inFlight.authorize(cluster.origin);

  await cluster.redis.stop();
  try {
    // A session cannot be checked: 503, not 401 (which would send the app round the login loop).
    const session = await signedIn.send(`${cluster.origin}/api/session`);
    expect(session.status).toBe(503);
    expect(session.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    // A flow cannot be checked: the login fails, and no session is given.
    const finished = await inFlight.finish(cluster.origin, flow);
    expect(finished.status).toBe(503);
    expect(finished.headers['set-cookie'] ?? []).toEqual([]);
    // No new flow starts.
    const phone = newPhone();
    const started = await phone.send(`${cluster.origin}/api/auth/wechat/authorize?returnTo=/`);
    expect(started.status).toBe(503);
    expect(started.headers['retry-after']).toBe('5');

    // The per-address limit (60 a minute) is still counted, in each instance's memory.
    const statuses: number[] = [];
    for (let i = 0; i < 130; i++)
      statuses.push((await phone.send(`${cluster.origin}/api/auth/wechat/authorize?returnTo=/`)).status);
    expect(statuses.filter((s) => s !== 503 && s !== 429)).toEqual([]);
    expect(statuses.slice(-10)).toEqual(Array(10).fill(429));
  } finally {
    await cluster.redis.start();
  }

  // Redis is back (empty: it keeps nothing on disk here): new logins work on both instances. Each
  // reconnects on its own schedule (up to 2 s apart), and nginx may send a whole login to one of them.
  await expect.poll(async () => (await newPhone().login(cluster.origin)).status, { timeout: 10_000 }).toBe(200);
  await expect.poll(async () => (await newPhone().login(A())).status, { timeout: 10_000 }).toBe(200);
  await expect.poll(async () => (await newPhone().login(B())).status, { timeout: 10_000 }).toBe(200);
});

test('Redis stopped: the H5 app says the login service is unavailable, and the retry logs in once it is back', async ({
  page,
  context,
}) => {
  await context.addCookies([{ name: 'wxsim_user', value: 'cluster-browser', url: cluster.simOrigin }]);
  await cluster.redis.stop();
  try {
    await page.goto(`${cluster.origin}/`);
    // The app sends the visitor through /auth; the BFF cannot start a flow and sends them back.
    await expect(page.getByRole('alert')).toHaveText('服务暂时不可用，请稍后重试');
    await expect(page).toHaveURL(/\/auth\?error=SERVICE_UNAVAILABLE$/);
    await shot(page, 'auth-unavailable');
  } finally {
    await cluster.redis.start();
  }
  for (const bff of cluster.bffs)
    await expect.poll(async () => (await fetch(`${bff.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
  await page.getByRole('button', { name: '重新登录' }).click();
  // Through WeChat's silent authorization to phone binding: a new user.
  await page.waitForURL(/\/bind$/);
  await expect(page.getByRole('heading', { name: '绑定手机号' })).toBeVisible();
});
