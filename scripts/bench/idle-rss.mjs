// The BFF's memory at idle: a demo BFF (SQLite, the embedded simulator) started in this process from a
// build's bff/dist, its RSS and heap read one second after it answers /readyz. Compare two builds by
// alternating them: `pnpm exec node scripts/bench/idle-rss.mjs <bff/dist of A>` then of B, a few times.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] ?? 'bff/dist');
const { startServer } = await import(pathToFileURL(join(dist, 'compose.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'wxauth-idle-rss-'));
const env = { PORT: '0', WXSIM_PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`, LOG_LEVEL: 'silent' };
const running = await startServer(env, { write() {} }, () => {});
await fetch(`${running.url}/readyz`);
await new Promise((done) => setTimeout(done, 1000));
const { rss, heapUsed } = process.memoryUsage();
const mb = (bytes) => +(bytes / 2 ** 20).toFixed(1);
console.log(JSON.stringify({ dist, rssMB: mb(rss), heapUsedMB: mb(heapUsed) }));
await running.close();
