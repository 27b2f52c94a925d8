import { hostname, userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { adminMain } from './features/admin/index.js';

// `pnpm admin …` (root package.json) builds the BFF and runs this file with the environment the BFF
// would start with; in the bff image: `wxauth admin …` (or `node dist/admin.js …`).
const osUser = () => {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
};

const code = await adminMain(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  async confirm(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(question);
    rl.close();
    return /^y(es)?$/i.test(answer.trim());
  },
  user: osUser(),
  host: hostname(),
}).catch((err: unknown) => {
  process.stderr.write(`wxauth admin could not run: ${(err as Error).message}\n`);
  return 1;
});
// Idle pools and the Redis connection must not hold the answer back.
process.stdout.write('', () => process.exit(code));
