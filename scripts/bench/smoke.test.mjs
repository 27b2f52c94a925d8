// Smoke runs of the issue 29 benchmark scripts with tiny numbers: each one starts what it measures,
// completes its logins or requests without an error, and prints its table. The figures themselves
// come from full runs recorded in docs/reference/benchmarks.md, never from here. They run the built
// BFF and simulator (`pnpm build` first, as CI does).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a script of the repository with Node (and its options); its exit code and what it printed. */
function run(script, args = [], env = {}, nodeOptions = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const built = existsSync(`${root}/bff/dist/server.js`) && existsSync(`${root}/wechat-sim/dist/cli.js`);

describe.runIf(built)('the issue 29 benchmarks, tiny', () => {
  it('bench:peers logs in through wxauth and through Auth.js, and says what WeChat makes of Auth.js', async () => {
    const { code, out, err } = await run('scripts/bench-peers.mjs', ['--requests', '20', '--rounds', '1']);
    expect(code, err).toBe(0);
    expect(out).toMatch(/\| wxauth .*\| 0 \|$/m);
    expect(out).toMatch(/\| Auth\.js .*\| 0 \|$/m);
    // WeChat's documents: state is at most 128 bytes of a-zA-Z0-9; Auth.js's is an encrypted JWT.
    // https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
    expect(out).toMatch(/in WeChat's order: refused, 「state参数错误/);
  }, 30_000);

  it('bench:login warms every target up untimed, then times its rounds, and prints the ratios', async () => {
    const { code, out, err } = await run('scripts/bench-login.mjs', [
      ...['--requests', '40', '--rounds', '2', '--warmup', '60', '--concurrency', '4'],
    ]);
    expect(code, err).toBe(0);
    // Warm-up rounds of at most --requests each, then the timed rounds, each with its CPU per login.
    expect(
      err.match(/^warm-up \d: floor \d+\/s [\d.]+ ms, floor \(node:http\) .* bff \d+\/s [\d.]+ ms/gm),
    ).toHaveLength(2);
    expect(err.match(/^round \d\/2: /gm)).toHaveLength(2);
    expect(out).toMatch(/after 60 untimed each/);
    expect(out).toMatch(/^\| BFF POST \/api\/auth\/wechat\/login \|.*\| 0 \|$/m);
    expect(out).toMatch(/CPU per login BFF \/ floor: \d\.\d\d \(target ≤ 1\.25\)/);
  }, 60_000);

  it('bench:million seeds both stores, logs in on each and reads the query plans', async () => {
    const { code, out, err } = await run('scripts/bench-million.mjs', [
      ...['--count', '3000', '--users', '20', '--requests', '20', '--rounds', '1', '--buffer-pool', '64M'],
    ]);
    expect(code, err).toBe(0);
    expect(out).toMatch(/^\| sqlite \| 3000 \|/m);
    expect(out).toMatch(/^\| mariadb, 3000 customers \|.*\| 0 \|$/m);
    // Every per-request query (of the login, the session, the binding, the directory) reads through an index.
    const plans = out
      .split('\n')
      .filter((l) => /^\| (sqlite|mariadb) \| [a-z]+ by|^\| (sqlite|mariadb) \| [a-z]+ of/.test(l));
    const perRequest = plans.filter((l) => !l.includes('(start'));
    expect(perRequest).toHaveLength(14);
    for (const line of perRequest) expect(line).toMatch(/\| no \|$/);
  }, 60_000);

  it("kv-login runs the state store's share of logins and prints CPU per login", async () => {
    const { code, out, err } = await run('scripts/bench/kv-login.mjs', ['--logins', '64', '--rounds', '1']);
    expect(code, err).toBe(0);
    expect(out).toMatch(/^round 1: \d+\.\d µs of CPU a login, \d+\.\d µs of wall time$/m);
  });

  it('flood-counters counts a flood of new addresses and prints the memory they hold', async () => {
    const { code, out, err } = await run('scripts/bench/flood-counters.mjs', ['bff/dist', '1000'], {}, ['--expose-gc']);
    expect(code, err).toBe(0);
    expect(out).toMatch(/^bff\/dist: 1000 addresses × 2 budgets \(2000 counters\): live .* bytes a counter; RSS/);
  });

  it('bench:forward-auth measures the open and the protected location at two concurrencies, with their ratio', async () => {
    const { code, out, err } = await run('e2e/bench-forward-auth.mjs', [], {
      REQUESTS: '30',
      ROUNDS: '1',
      CONCURRENCY: '1,4',
    });
    expect(code, err).toBe(0);
    expect(out).toMatch(/^\| 4 \| protected \(auth_request to the BFF\) \|.*\| 0 \|$/m);
    expect(out).toMatch(
      /^- concurrency 1: requests per second protected \/ open \*\*\d\.\d\d\*\*; added \*\*-?\d+\.\d\d ms at p50/m,
    );
  }, 30_000);
});

it('the smoke runs need the build', () => {
  expect(built, 'run `pnpm build` first: the smoke runs start bff/dist and wechat-sim/dist').toBe(true);
});
