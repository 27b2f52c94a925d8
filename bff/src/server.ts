// The process's entry. The Node version is checked before anything else loads: the SQLite driver
// (better-sqlite3 13) needs a newer Node and would crash on an older one without a word.
import type { Running } from './compose.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `wxauth needs Node.js 24 (LTS); this is ${process.version}. In the repository, run it through pnpm (pnpm start): pnpm install brings Node 24 and every pnpm script runs on it. Elsewhere, install Node 24.`,
  );
  process.exit(1);
}

// Ctrl-C or a stop at any moment, the start included: the port opens, and /healthz answers, before
// the demo's simulator has started and announced itself, and a signal then must not kill the process
// (exit 130, which pnpm reports as a failure). A signal during the start is kept, and the server
// closes as soon as the start is over; a second one does not hurry it. Installed before the modules
// load (a few hundred ms), so a signal then is kept the same way.
let running: Running | undefined;
let stopping = false;
const close = () => void running!.close().then(() => process.exit(0));
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  if (running) close();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

const { startServer } = await import('./compose.js');
const { ConfigError } = await import('./platform/config.js');
const { startupHint } = await import('./platform/startupHint.js');

try {
  running = await startServer(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  // A store that cannot be reached at start (the database, Redis): one clear line, then a non-zero exit.
  const hint = startupHint(err, process.env);
  console.error(`wxauth BFF could not start: ${(err as Error).message}${hint ? `\n${hint}` : ''}`);
  process.exit(1);
}
if (stopping) close();
