import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../compose.js';

// The docs site's pages (docs/, once the README's sections): their code blocks run here as written.
const DOCS = new URL('../../../docs/', import.meta.url);
const page = (path: string) => readFileSync(new URL(path, DOCS), 'utf8');

/** The first ```sh block after `heading` on the page. */
function shellBlock(path: string, heading: string): string {
  const text = page(path);
  const from = text.indexOf(heading);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(from));
  if (from < 0 || !block) throw new Error(`docs/${path}: no sh block after "${heading}"`);
  return block[1]!;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
});

describe('the journey page (docs/guide/journey.md)', () => {
  it('the curl walk works exactly as written, every → line included, against a fresh demo', async () => {
    const port = await freePort();
    running = await startServer(
      {
        PORT: String(port),
        WXSIM_PORT: '0',
        DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'wxauth-readme-')), 'demo.db')}`,
      },
      { write: () => undefined },
      () => undefined,
    );
    const script = shellBlock('guide/journey.md', '## Walk the journey with curl');
    expect(script).toContain('B=http://localhost:8080\n');
    const { stdout } = await promisify(execFile)('bash', [
      '-euc',
      script.replace('localhost:8080', `localhost:${port}`),
    ]);
    const expected = [...script.matchAll(/^#\s+→ (.*)$/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThan(5);
    expect(stdout.split('\n').filter(Boolean)).toEqual(expected);
  });
});

describe("the accounts page's signature check for hosts (docs/guide/your-accounts.md)", () => {
  it('shows the file that runs, which accepts what the BFF signs and refuses a tampered, old or unsigned body', async () => {
    const text = page('guide/your-accounts.md');
    const from = text.indexOf('## Signatures: `X-Wxauth-Signature`');
    const section = text.slice(from, text.indexOf('\n## ', from + 1));
    expect(from).toBeGreaterThan(0);
    // The page includes the file (VitePress's snippet import), rather than a copy that could drift.
    const shown = /^<<< @\/(\S+\.mjs)$/m.exec(section)?.[1];
    expect(shown).toBe('examples/verify-signature.mjs');
    expect(section).not.toContain('```js');
    const { verifyWxauthSignature } = (await import(new URL(shown!, DOCS).href)) as {
      verifyWxauthSignature: (secret: string, header: unknown, body: string, now?: number) => boolean;
    };
    const { sign } = await import('../adapters/host/signature.js');
    const secret = 'host-signing-secret-0123456789abcdef-test';
    const body = '{"id":"evt_1","type":"wechat.bound","data":{}}';
    const now = Date.now();
    expect(verifyWxauthSignature(secret, sign(secret, body, now), body, now)).toBe(true);
    expect(verifyWxauthSignature(secret, sign(secret, body, now), body.replace('bound', 'unbound'), now)).toBe(false);
    expect(verifyWxauthSignature(secret, sign(secret, body, now - 301_000), body, now)).toBe(false);
    expect(verifyWxauthSignature(secret, undefined, body, now)).toBe(false);
  });
});
