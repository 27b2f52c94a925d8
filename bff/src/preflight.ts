import { preflightMain as main } from './features/preflight/index.js';

// `pnpm preflight` (root package.json) builds the BFF and runs this file with the environment the BFF
// would start with; in a container: `node dist/preflight.js`.
const code = await main(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).catch((err: unknown) => {
  process.stderr.write(`preflight could not run: ${(err as Error).message}\n`);
  return 1;
});
// Idle keep-alive sockets and pools must not hold the answer back.
process.stdout.write('', () => process.exit(code));
