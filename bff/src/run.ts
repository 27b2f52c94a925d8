import { ConfigError } from './platform/config.js';
import { startServer } from './compose.js';
import { startupHint } from './platform/startupHint.js';

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
