import { ConfigError } from './config.js';
import { startServer } from './main.js';

let running;
try {
  running = await startServer(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  throw err;
}

const shutdown = (signal: string) => {
  console.error(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  void running.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
