import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/servers.mjs';

/**
 * Ctrl-C on `pnpm start` at any moment, the way the README's demo is stopped: the built BFF exits 0.
 * The demo starts its simulator and announces itself after the port is open, so /healthz answers a
 * moment before the start is over; a signal in that moment once killed the process (exit 130, which
 * pnpm reports as a failure).
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What a test started, gone after it whatever its end (a timeout included). */
const started: Array<{ child: ChildProcess; dir: string }> = [];
afterEach(() => {
  for (const { child, dir } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Says on stderr when the BFF begins to load its modules (a few hundred ms on a busy machine), so that a
 * signal can be sent while they load: it only watches, the BFF runs as it is.
 */
const SAY_LOADING = `data:text/javascript,import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, next) {
  if (specifier === './compose.js') process.stderr.write('loading compose.js\\n');
  return next(specifier, context);
} });`;

/** Starts the built demo and sends `signal` as soon as `when` matches what it printed. */
async function stopWhen(when: RegExp, signal: NodeJS.Signals, nodeOptions: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'wxauth-signals-'));
  const child = spawn(process.execPath, [...nodeOptions, join(ROOT, 'bff/dist/server.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PORT: String(await freePort()),
      WXSIM_PORT: String(await freePort()),
      DATABASE_URL: `sqlite:${join(dir, 'wxauth.db')}`,
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push({ child, dir });
  let output = '';
  let sent = false;
  const seen = (d: Buffer) => {
    output += d.toString();
    if (!sent && when.test(output)) {
      sent = true;
      child.kill(signal);
    }
  };
  child.stdout.on('data', seen);
  child.stderr.on('data', seen);
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  return { code, killedBy, sent, output };
}

describe('stopping the BFF with a signal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} the moment the port is open, before the demo has started: a clean stop, exit 0`, async () => {
      const run = await stopWhen(/wxauth BFF listening/, signal);
      expect(run.sent).toBe(true);
      expect({ code: run.code, killedBy: run.killedBy }).toEqual({ code: 0, killedBy: null });
      expect(run.output).toContain(`${signal}: shutting down`);
    }, 60_000);
  }

  it('SIGINT while it loads its modules, before anything has started: a clean stop, exit 0', async () => {
    const run = await stopWhen(/loading compose\.js/, 'SIGINT', ['--import', SAY_LOADING]);
    expect(run.sent).toBe(true);
    expect({ code: run.code, killedBy: run.killedBy }).toEqual({ code: 0, killedBy: null });
    expect(run.output).toContain('SIGINT: shutting down');
  }, 60_000);

  it('SIGINT once the demo has announced itself: a clean stop, exit 0', async () => {
    const run = await stopWhen(/DEMO MODE/, 'SIGINT');
    expect({ code: run.code, killedBy: run.killedBy }).toEqual({ code: 0, killedBy: null });
  }, 60_000);
});
