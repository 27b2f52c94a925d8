// The durable state's share of a login, alone: the state store's operations of `POST
// /api/auth/wechat/login` (the state taken and the login marked pending in one step; then the session,
// the identity's last session for support, and the outcome, in one turn) against the built
// bff/dist/adapters/kv/sqlite.js on a file of its own, `--batch` logins sharing each turn of the event
// loop (and so each commit), as concurrent logins do in the BFF. Prints the CPU time per login of the
// whole process (its checkpointer thread included) and the wall time, round by round.
// Usage: pnpm exec node scripts/bench/kv-login.mjs [--batch 8 --logins 16000 --rounds 6 --without-seen] [path/to/adapters/kv/sqlite.js]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: 'string', default: '8' },
    logins: { type: 'string', default: '16000' },
    rounds: { type: 'string', default: '6' },
    'without-seen': { type: 'boolean', default: false },
  },
});
const BATCH = Number(args.batch);
const N = Number(args.logins);
const { openSqliteKv } = await import(pathToFileURL(resolve(positionals[0] ?? 'bff/dist/adapters/kv/sqlite.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'wxauth-kv-login-'));
const kv = openSqliteKv(join(dir, 'wxauth.db'));

// The shapes the BFF writes: keys that grow with time, values of the same sizes.
const time = (t) => t.toString(36).padStart(9, '0');
const alnum = (n) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'a').slice(0, n);
const browser = alnum(32);
const flow = { appid: 'wx00000000000000de', scope: 'snsapi_base', returnTo: '/home', browser };

async function login({ state, codeHash, sessionId }, i) {
  const marked = { browser, codeHash };
  await kv.takeThenSet(`state:${state}`, () => ({
    key: `login:${state}`,
    value: { status: 'pending', ...marked },
    ttlMs: 5 * 60_000,
  }));
  const t = Date.now();
  const sessionKey = `${time(t)}.${codeHash}`;
  const identityId = (i % 1000) + 1;
  await Promise.all([
    kv.set(`sess:${sessionKey}`, { identityId, createdAt: t, lastSeenAt: t, returnTo: '/home' }, 7 * 86_400_000),
    args['without-seen'] ? undefined : kv.set(`seen:${identityId}`, t, 30 * 86_400_000),
    kv.set(`login:${state}`, { status: 'done', ...marked, sessionId, identityId, returnTo: '/home' }, 5 * 60_000),
  ]);
}

console.log(
  `${N} logins a round, ${BATCH} a turn of the event loop${args['without-seen'] ? ', without the last-session row' : ''}`,
);
for (let round = 1; round <= Number(args.rounds); round++) {
  // The states the logins finish, minted first, as the BFF's authorize does, and each login's random
  // values (a code's hash, a session id): not timed, so the figure is the store's alone.
  const logins = [];
  for (let i = 0; i < N; i++)
    logins.push({ state: time(Date.now()) + alnum(23), codeHash: alnum(43), sessionId: alnum(43) });
  for (let i = 0; i < N; i += 500)
    await Promise.all(logins.slice(i, i + 500).map((l) => kv.set(`state:${l.state}`, flow, 600_000)));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < N; i += BATCH) await Promise.all(logins.slice(i, i + BATCH).map((l, j) => login(l, i + j)));
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `round ${round}: ${((used.user + used.system) / N).toFixed(1)} µs of CPU a login, ${((wall * 1000) / N).toFixed(1)} µs of wall time`,
  );
}
await kv.close();
rmSync(dir, { recursive: true, force: true });
