// The uni-app example builds for WeChat mini programs from the same sources as its H5 app (`pnpm test:docs`):
// `uni build -p mp-weixin`, then what a mini program needs of the output. app.json lists every page of
// pages.json, in order (the first is the one the mini program opens). And no H5-only API reaches the mini
// program's own code: a mini program has no window, document, location or history (its logic layer runs in
// JavaScriptCore or V8 without a DOM: https://developers.weixin.qq.com/miniprogram/dev/framework/runtime/env.html),
// so one such reference is a page that throws on load. The vendor chunk holds libraries whose H5 functions are
// present but never called; the pages, app.js and the example's own modules are checked for calls to them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = join(ROOT, 'examples/uni-app');
const scratch = mkdtempSync(join(tmpdir(), 'wxauth-uni-app-mp-'));
const OUT = join(scratch, 'mp-weixin');
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Globals of a browser page that a mini program's logic layer does not have. */
export const H5_ONLY_GLOBALS = [
  'window',
  'document',
  'location',
  'history',
  'navigator',
  'localStorage',
  'sessionStorage',
  'XMLHttpRequest',
  'fetch',
  'EventSource',
];
/** @wxauth/client's functions for a browser page (the address bar, the redirect to WeChat, the JS-SDK). */
export const H5_ONLY_CLIENT = [
  'captureCallback',
  'takeCallback',
  'startAuthorization',
  'inWechat',
  'wechatJssdk',
  'setShareCard',
];

function run(command, args, cwd) {
  return new Promise((done, fail) =>
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stdout}\n${stderr}`)) : done(stdout),
    ),
  );
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

before(async () => {
  // The client is a workspace package: its dist is what the example imports.
  await run('pnpm', ['--filter', '@wxauth/contract', '--filter', '@wxauth/client', 'build'], ROOT);
  await run('pnpm', ['exec', 'uni', 'build', '-p', 'mp-weixin', '--outDir', OUT], EXAMPLE);
});

test('app.json lists the pages of pages.json, in order', () => {
  const pages = JSON.parse(readFileSync(join(EXAMPLE, 'src/pages.json'), 'utf8')).pages.map((p) => p.path);
  const app = JSON.parse(readFileSync(join(OUT, 'app.json'), 'utf8'));
  assert.deepEqual(app.pages, pages);
  for (const page of pages)
    for (const ext of ['js', 'json', 'wxml']) assert.ok(existsSync(join(OUT, `${page}.${ext}`)), `${page}.${ext}`);
});

test("no H5-only global or @wxauth/client browser function in the mini program's own code", () => {
  const own = files(OUT).filter((f) => f.endsWith('.js') && !relative(OUT, f).startsWith('common/'));
  assert.ok(own.length >= 4, `the build's own chunks: ${own.map((f) => relative(OUT, f))}`);
  const linter = new Linter({ configType: 'flat' });
  const config = [
    {
      languageOptions: { ecmaVersion: 'latest', sourceType: 'script', globals: {} },
      rules: { 'no-restricted-globals': ['error', ...H5_ONLY_GLOBALS] },
    },
  ];
  const found = [];
  for (const file of own) {
    const code = readFileSync(file, 'utf8');
    for (const m of linter.verify(code, config)) found.push(`${relative(OUT, file)}:${m.line}: ${m.message}`);
    for (const name of H5_ONLY_CLIENT)
      if (new RegExp(`\\.${name}\\b`).test(code)) found.push(`${relative(OUT, file)}: calls ${name}() (H5 only)`);
  }
  assert.deepEqual(found, []);
});

test('the mini program logs in with uni.login and offers the phone by WeChat', () => {
  const wxml = readFileSync(join(OUT, 'pages/bind/bind.wxml'), 'utf8');
  assert.match(wxml, /open-type="getPhoneNumber"/);
  assert.match(wxml, /bindgetphonenumber=/);
  const page = readFileSync(join(OUT, 'pages/wxAuthPage/wxAuthPage.js'), 'utf8');
  assert.match(page, /miniProgramLogin/);
});
