// Follows docs/guide/uni-app.md word for word in a new project, as a reader without GitHub would, and
// builds it for H5 (`pnpm test:docs`). Everything it does comes from the page: the package.json, the files
// of the example each list names, the commands. The one change: the install block's `APP=` line names a
// scratch folder instead of ../your-uni-app. A file the guide forgets to list breaks the build here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = join(ROOT, 'examples/uni-app');
const GUIDE = readFileSync(join(ROOT, 'docs/guide/uni-app.md'), 'utf8');

const scratch = mkdtempSync(join(tmpdir(), 'wxauth-uni-app-guide-'));
const APP = join(scratch, 'your-uni-app');
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The guide's section under `## heading`, up to the next one. */
function section(heading) {
  const from = GUIDE.indexOf(`\n## ${heading}\n`);
  assert.ok(from >= 0, `docs/guide/uni-app.md: no "## ${heading}"`);
  const end = GUIDE.indexOf('\n## ', from + 1);
  return GUIDE.slice(from, end < 0 ? undefined : end);
}

/** The first ```lang block of a section, as written. */
function block(text, lang) {
  const found = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'm').exec(text);
  assert.ok(found, `no \`\`\`${lang} block in:\n${text.slice(0, 200)}`);
  return found[1];
}

/** The files a section's list names: the code that starts each top-level item. */
const listed = (text) => [...text.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]);

function copy(from, to) {
  assert.ok(existsSync(from), `the guide names ${from}, which does not exist`);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}

function sh(script, cwd) {
  return new Promise((resolvePromise, reject) =>
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        // Quieter, not different: no audit, funding or update banners in the test's output.
        env: {
          ...process.env,
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          npm_config_update_notifier: 'false',
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${script}\n${error.message}\n${stdout}\n${stderr}`)) : resolvePromise(stdout),
    ),
  );
}

const NUMBERS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];

test(
  'a new project from the guide builds for H5, with the login pages and MP_verify at the root',
  { timeout: 15 * 60_000 },
  async (t) => {
    const started = Date.now();

    // A project: the package.json as the page gives it, and the example's files it lists.
    const project = section('A project');
    const manifest = JSON.parse(block(project, 'json'));
    const example = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8'));
    const exampleVersions = { ...example.dependencies, ...example.devDependencies };
    for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }))
      assert.equal(version, exampleVersions[name], `the guide's ${name} is the example's`);
    for (const name of Object.keys(example.dependencies).filter((n) => !n.startsWith('@wxauth/')))
      assert.ok(name in manifest.dependencies, `the guide's package.json has the example's ${name}`);
    mkdirSync(APP);
    writeFileSync(join(APP, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    const rootFiles = listed(project);
    assert.ok(rootFiles.length > 0, 'the guide lists the example files a new project starts from');
    for (const file of rootFiles) copy(join(EXAMPLE, file), join(APP, file));

    // The client: the commands as written, run from this checkout.
    const install = block(section('The client'), 'sh');
    assert.match(install, /^APP=\.\.\/your-uni-app$/m);
    await sh(install.replace(/^APP=.*$/m, `APP=${APP}`), ROOT);
    t.diagnostic(`project and install: ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // The example's files: every one the list names, and as many as the sentence above it says.
    const files = section("The example's files");
    const sources = listed(files);
    const said = /Copy these (\w+) files/.exec(files)?.[1];
    assert.equal(said, NUMBERS[sources.length], `the guide says "${said}" files and lists ${sources.length}`);
    for (const file of sources) copy(join(EXAMPLE, 'src', file), join(APP, 'src', file));

    // Build: the MP_verify file in public/, then the build command as written.
    const build = section('Build, and serve it behind nginx');
    assert.match(build, /Put your `MP_verify_<token>\.txt` in the project's `public\/`/);
    mkdirSync(join(APP, 'public'));
    writeFileSync(join(APP, 'public/MP_verify_uniAppGuide0.txt'), 'uniAppGuide0');
    const building = Date.now();
    await sh(block(build, 'sh'), APP);
    t.diagnostic(`build: ${((Date.now() - building) / 1000).toFixed(0)} s`);

    const h5 = join(APP, 'dist/build/h5');
    assert.ok(existsSync(join(h5, 'index.html')));
    assert.equal(readFileSync(join(h5, 'MP_verify_uniAppGuide0.txt'), 'utf8'), 'uniAppGuide0');
    const assets = readdirSync(join(h5, 'assets')).map((f) => readFileSync(join(h5, 'assets', f), 'utf8'));
    assert.ok(
      assets.some((a) => a.includes('pages/wxAuthPage/wxAuthPage')),
      'the build has the wxAuthPage',
    );
    // App.vue's rule is in: uni-app's preload from DCloud's CDN is turned off.
    assert.ok(
      assets.some((a) => /body:{1,2}after\{animation:none\}/.test(a)),
      "the build has App.vue's rule against the CDN preload",
    );

    // The same project, built for a mini program with the section's command as written.
    const mini = section('A mini program');
    await sh(block(mini, 'sh'), APP);
    const app = JSON.parse(readFileSync(join(APP, 'dist/build/mp-weixin/app.json'), 'utf8'));
    assert.deepEqual(app.pages, ['pages/home/home', 'pages/bind/bind', 'pages/wxAuthPage/wxAuthPage']);
    assert.match(readFileSync(join(APP, 'dist/build/mp-weixin/pages/bind/bind.wxml'), 'utf8'), /getPhoneNumber/);
    t.diagnostic(`in all: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  },
);
