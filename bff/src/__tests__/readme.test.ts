import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../compose.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The first ```sh block after `heading`. */
function shellBlock(heading: string): string {
  const from = README.indexOf(heading);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(from));
  if (from < 0 || !block) throw new Error(`README: no sh block after "${heading}"`);
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

describe('the README', () => {
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
    const script = shellBlock('### Walk the journey with curl');
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

describe("the README's signature check for hosts", () => {
  it('runs as written, accepting what the BFF signs and refusing a tampered, old or unsigned body', async () => {
    const from = README.indexOf('### Signatures: `X-Wxauth-Signature`');
    const block = /```js\n([\s\S]*?)```/.exec(README.slice(from));
    expect(from).toBeGreaterThan(0);
    const file = join(mkdtempSync(join(tmpdir(), 'wxauth-readme-')), 'verify.mjs');
    writeFileSync(file, block![1]!);
    const { verifyWxauthSignature } = (await import(file)) as {
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
