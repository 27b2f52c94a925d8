// The process's entry. The Node version is checked before anything else loads: the SQLite driver
// (better-sqlite3 13) needs a newer Node and would crash on an older one without a word.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `wxauth needs Node.js 24 (LTS); this is ${process.version}. In the repository, run it through pnpm (pnpm start): pnpm install brings Node 24 and every pnpm script runs on it. Elsewhere, install Node 24.`,
  );
  process.exit(1);
}

const { startServer } = await import('./compose.js');
const { ConfigError } = await import('./platform/config.js');
const { startupHint } = await import('./platform/startupHint.js');

let running;
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

const shutdown = (signal: string) => {
  console.error(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  void running.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
