// pnpm bench:web — what /auth costs a WeChat user before they leave for WeChat: the JavaScript it
// loads (from the build manifest, gzip -9, and as actually sent through nginx), and the time from
// navigation to the request for WeChat's authorize page in Chromium throttled to 400 ms RTT and
// 1.6 Mbps down. Entry points: a link straight to /auth, and deep links to pages that need a session
// (with no session cookie nginx sends them through the BFF to WeChat at once: no HTML, no script).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { CHROMIUM, ROOT, startStack, WECHAT_UA } from './stack.mjs';

const RUNS = Number(process.env.RUNS ?? 5);

// The chunks /auth needs: the entry, its static imports, and the AuthView chunk with its imports.
const dist = join(ROOT, 'web/dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const closure = (key, seen = new Set()) => {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(dep, seen);
  return seen;
};
// AuthView is bundled into the entry; should it become a chunk of its own again, it is counted too.
const authChunks = new Set([
  ...closure('index.html'),
  ...(manifest['src/views/AuthView.vue'] ? closure('src/views/AuthView.vue') : []),
]);
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const authJs = [...authChunks].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
const authBytes = authJs.reduce((sum, f) => sum + gz(f), 0);

const stack = await startStack({ demo: false });
const browser = await chromium.launch(CHROMIUM);

async function measure(path) {
  const context = await browser.newContext({
    userAgent: WECHAT_UA,
    viewport: { width: 390, height: 844 },
    isMobile: true,
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: (1.6e6 / 8) | 0,
    uploadThroughput: (750e3 / 8) | 0,
  });
  let jsBytes = 0;
  let left = false;
  const pending = [];
  page.on('requestfinished', (req) => {
    if (!left && req.resourceType() === 'script')
      pending.push(req.sizes().then((s) => (jsBytes += s.responseBodySize)));
  });
  const wechat = page.waitForRequest((r) => r.url().startsWith(`${stack.simOrigin}/connect/oauth2/authorize`), {
    timeout: 60_000,
  });
  const started = Date.now();
  await page.goto(`${stack.origin}${path}`, { waitUntil: 'commit' }).catch(() => undefined);
  await wechat;
  left = true;
  const ms = Date.now() - started;
  await Promise.all(pending);
  await context.close();
  return { ms, jsBytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const path of ['/auth?returnTo=%2F', '/', '/profile?from=share']) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure(path));
  rows.push({ path, ms: median(runs.map((r) => r.ms)), kb: median(runs.map((r) => r.jsBytes)) / 1024 });
}
await browser.close();
await stack.stop();

console.log(`
${new Date().toISOString().slice(0, 10)} · Chromium via Playwright · 400 ms RTT, 1.6 Mbps down, 750 kbps up · median of ${RUNS} cold loads

JS /auth needs before it leaves for WeChat (build manifest, gzip -9): **${(authBytes / 1024).toFixed(1)} KB** (budget ≤ 60 KB)
${authJs.map((f) => `- ${f}: ${(gz(f) / 1024).toFixed(1)} KB`).join('\n')}

| link opened | navigation → WeChat authorize request | JS sent by nginx before it |
| --- | ---: | ---: |
${rows.map((r) => `| \`${r.path}\` | ${r.ms} ms | ${r.kb.toFixed(1)} KB |`).join('\n')}
`);
process.exit(authBytes / 1024 <= 60 ? 0 : 1);
