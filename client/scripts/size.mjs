// pnpm --filter @wxauth/client size — what the client costs a page, bundled and minified with esbuild
// for the browsers the H5 app targets (es2019), then gzip -9: the login path (take the callback,
// start the authorization, log in, with the fetch transport and again with uni.request's), a mini
// program's (its session, wx.login, the phone by WeChat), and all of it. The budget for the login path is checked by src/__tests__/size.test.ts.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET = 3 * 1024;

const src = fileURLToPath(new URL('../src', import.meta.url));

/** What a login page does: the callback first, then either log in with it or leave for WeChat. */
const loginPath = (transport) => `
import { captureCallback, createClient, startAuthorization, takeCallback${transport === 'uni' ? ', uniTransport' : ''} } from './index.ts';
captureCallback();
const callback = takeCallback();
const client = createClient(${transport === 'uni' ? '{ transport: uniTransport(uni.request) }' : ''});
if (callback && callback.code && callback.state)
  client.login(callback.code, callback.state).then((r) => location.replace(r.next === 'bind' ? '/bind' : r.returnTo));
else startAuthorization({ returnTo: '/' });
`;

/** A mini program's launch: the session it holds, else wx.login; then the phone by WeChat's button. */
const miniProgramPath = `
import { miniProgramClient } from './index.ts';
const client = miniProgramClient({ baseUrl: 'https://h5.example.com' });
client.session().then((s) => s || client.miniProgramLogin()).then(() => client.bindByWechatPhone('code'));
`;

const entries = {
  'login path (fetch)': loginPath('fetch'),
  'login path (uni.request)': loginPath('uni'),
  'login path (mini program)': miniProgramPath,
  'everything it exports': `export * from './index.ts';`,
};

async function size(contents) {
  const out = await build({
    stdin: { contents, resolveDir: src, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2019',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Bytes, minified and gzipped, per entry. */
export async function measure() {
  const rows = {};
  for (const [name, contents] of Object.entries(entries)) rows[name] = await size(contents);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measure();
  const lines = ['| @wxauth/client | minified | gzip -9 |', '| --- | ---: | ---: |'];
  for (const [name, { minified, gzip }] of Object.entries(rows)) lines.push(`| ${name} | ${minified} B | ${gzip} B |`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const over = Object.entries(rows).filter(([name, r]) => name.startsWith('login') && r.gzip > BUDGET);
  if (over.length) {
    console.error(`over the login path's budget of ${BUDGET} B gzip: ${over.map(([n]) => n).join(', ')}`);
    process.exit(1);
  }
}
