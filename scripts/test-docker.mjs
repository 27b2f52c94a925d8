// The checks of pnpm test:docker, run by scripts/test-docker.sh once Docker, Compose v2 and the base
// images are ready (DOCKER, NODE_IMAGE, NGINX_IMAGE, MYSQL_IMAGE, REDIS_IMAGE, NPM_REGISTRY,
// EXTRA_CA_FILE). Both images are built with the repository's Dockerfile and run as a deployment runs
// them; then docs/docker-compose.yml, with two BFFs on MySQL and Redis.
//
// Containers reach this machine's test services (WeChat's simulator, an SMS gateway, a demo BFF) on the
// test network's gateway address, the host's side of the bridge; everything published is on 127.0.0.1.
//
// Runs may share a daemon (two clones, CI beside a developer): each names what it makes after a run id
// (containers, images, volumes, networks, the compose project), labels it with the id and its owner, and
// removes only its own and those of runs whose process is gone (scripts/docker/runs.mjs). Its networks
// are on subnets Docker picks; its published ports are free ones.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { RUN_LABEL, hostAt, hostRoutes, newRun, toRemove, unfit } from './docker/runs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCKER = process.env.DOCKER ?? 'docker';
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-docker.sh`);
  return value;
};
const BASES = {
  NODE_IMAGE: env('NODE_IMAGE'),
  NGINX_IMAGE: env('NGINX_IMAGE'),
  MYSQL_IMAGE: env('MYSQL_IMAGE'),
  REDIS_IMAGE: env('REDIS_IMAGE'),
};
const NPM_REGISTRY = env('NPM_REGISTRY');
const EXTRA_CA_FILE = env('EXTRA_CA_FILE');
/** Every container, image, network and volume this run makes carries its labels, and its names its prefix. */
const RUN = newRun();
const P = RUN.prefix;
const LABELS = Object.entries(RUN.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
const NET = `${P}-net`;
const IMAGES = { bff: `wxauth-bff:test-${RUN.id}`, web: `wxauth-web:test-${RUN.id}` };
const WORK = mkdtempSync(join(tmpdir(), 'wxauth-docker-'));
chmodSync(WORK, 0o755);

// ------------------------------------------------------------------------------------------ helpers

/** Runs docker; resolves { code, stdout, stderr }, and throws on a non-zero exit unless `check: false`. */
function docker(args, { check = true, timeout = 600_000, envExtra } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      DOCKER,
      args,
      { maxBuffer: 64 << 20, timeout, env: { ...process.env, ...envExtra } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (code && check) reject(new Error(`docker ${args.join(' ')} exited with ${code}:\n${stderr.slice(-3000)}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}
const inspect = async (format, ...names) => (await docker(['inspect', '-f', format, ...names])).stdout.trim();

/** Runs a command to a log file (a build's output is long); throws with the log's end on failure. */
async function logged(file, command, args, envExtra = {}) {
  const out = join(WORK, file);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...envExtra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks = [];
  child.stdout.on('data', (c) => chunks.push(c));
  child.stderr.on('data', (c) => chunks.push(c));
  const [code] = await once(child, 'close');
  const text = Buffer.concat(chunks).toString();
  writeFileSync(out, text);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${text.slice(-4000)}`);
  return text;
}

/** Free loopback ports, below the ephemeral range (as e2e/stack.mjs picks them). */
async function freePorts(n, host = '127.0.0.1') {
  const ports = new Set();
  while (ports.size < n) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const server = createTcpServer();
    const free = await new Promise((r) => server.once('error', () => r(false)).listen(port, host, () => r(true)));
    if (free) {
      ports.add(port);
      await new Promise((r) => server.close(r));
    }
  }
  return [...ports];
}

async function until(what, check, { timeout = 60_000, every = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`${what}: not within ${timeout / 1000} s${last ? ` (${last.message})` : ''}`);
}

const get = (url, init) => fetch(url, { redirect: 'manual', ...init });

/** A browser's cookie jar over fetch, enough for the BFF's cookies. */
function browser(origin) {
  const jar = new Map();
  return async (path, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await get(new URL(path, origin), { ...init, headers: { ...init.headers, cookie } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  };
}
const json = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const gone = (stderr) => /no such|not found/i.test(stderr);

/**
 * This run's containers, images, volumes and networks, and those a run whose process is gone left (killed,
 * or WXAUTH_DOCKER_KEEP=1); never another live run's. Docker's error, when a removal fails, is the error.
 */
async function removeLeftovers() {
  const kinds = {
    container: [
      ['ps', '-aq'],
      ['inspect', '--type', 'container', '-f', '{{.Id}} {{json .Config.Labels}}'],
    ],
    image: [
      ['images', '-q'],
      ['image', 'inspect', '-f', '{{.Id}} {{json .Config.Labels}}'],
    ],
    volume: [
      ['volume', 'ls', '-q'],
      ['volume', 'inspect', '-f', '{{.Name}} {{json .Labels}}'],
    ],
    network: [
      ['network', 'ls', '-q'],
      ['network', 'inspect', '-f', '{{.Id}} {{json .Labels}}'],
    ],
  };
  const listed = [];
  for (const [kind, [ls, inspectArgs]] of Object.entries(kinds)) {
    const ids = [...new Set((await docker([...ls, '--filter', `label=${RUN_LABEL}`])).stdout.split('\n'))];
    if (!ids.some(Boolean)) continue;
    // Gone between the two calls: left out, with its "No such" error; any other error is an error.
    const found = await docker([...inspectArgs, ...ids.filter(Boolean)], { check: false });
    if (found.code && !gone(found.stderr)) throw new Error(`docker ${kind} inspect: ${found.stderr}`);
    for (const line of found.stdout.split('\n').filter(Boolean)) {
      const at = line.indexOf(' ');
      listed.push({ kind, id: line.slice(0, at), labels: JSON.parse(line.slice(at + 1)) ?? {} });
    }
  }
  const remove = {
    container: (ids) => ['rm', '-f', '-v', ...ids],
    image: (ids) => ['rmi', ...ids],
    volume: (ids) => ['volume', 'rm', ...ids],
    network: (ids) => ['network', 'rm', ...ids],
  };
  const chosen = toRemove(listed, RUN.id);
  const failed = [];
  for (const kind of Object.keys(remove)) {
    const ids = chosen.filter((r) => r.kind === kind).map((r) => r.id);
    if (!ids.length) continue;
    const res = await docker(remove[kind](ids), { check: false });
    // Another run may be removing the same dead run's leftovers: what is already gone is done.
    const errors = res.stderr.split('\n').filter((l) => l.trim() && !gone(l));
    if (res.code && errors.length) failed.push(`docker ${remove[kind](ids).join(' ')}:\n${errors.join('\n')}`);
  }
  const others = new Set(chosen.map((r) => r.labels[RUN_LABEL]).filter((id) => id !== RUN.id));
  if (others.size) console.error(`test:docker: removed what runs no longer running left (${[...others].join(', ')})`);
  if (failed.length) throw new Error(`leftovers not removed:\n${failed.join('\n')}`);
}

/**
 * A subnet Docker picks, for a network that needs fixed addresses (which Docker gives only on a subnet
 * named when the network is made). A probe network without one gets Docker's pick from its address pools;
 * the pick must be private and routed nowhere else here (else the next probe gets the next pool). `make`
 * then makes the real network on it; if another run took the subnet in between, Docker says it overlaps,
 * and a new probe picks again. Docker's own error is the error when none will do.
 */
async function onFreeSubnet(what, make) {
  const routes = existsSync('/proc/net/route') ? hostRoutes(readFileSync('/proc/net/route', 'utf8')) : [];
  const probes = [];
  const problems = [];
  try {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const probe = `${P}-probe-${attempt}`;
      await docker(['network', 'create', ...LABELS, probe]);
      probes.push(probe);
      const subnet = (await inspect('{{range .IPAM.Config}}{{.Subnet}} {{end}}', probe))
        .split(' ')
        .find((s) => s.includes('.'));
      const why = unfit(subnet, routes);
      if (why) {
        problems.push(why);
        continue;
      }
      await docker(['network', 'rm', probes.pop()]);
      try {
        return await make(subnet);
      } catch (err) {
        if (!/overlap/i.test(err.message)) throw err;
        problems.push(err.message);
      }
    }
    throw new Error(`${what}: no subnet Docker picked would do:\n${problems.join('\n')}`);
  } finally {
    if (probes.length) await docker(['network', 'rm', ...probes]);
  }
}

// ------------------------------------------------------------------------------------------ the run

const run = {};
const closers = [];

before(async () => {
  console.error(`test:docker: run ${RUN.id}: what it makes is named after it and labelled ${RUN_LABEL}=${RUN.id}`);
  await removeLeftovers();
  run.net = await onFreeSubnet('the test network', async (subnet) => {
    const gateway = hostAt(subnet, 1);
    await docker(['network', 'create', ...LABELS, '--subnet', subnet, '--gateway', gateway, NET]);
    return { subnet, gateway, web: hostAt(subnet, 10), webDemo: hostAt(subnet, 11) };
  });
  const gw = run.net.gateway;
  console.error(`test:docker: run ${RUN.id}: test network ${NET} on ${run.net.subnet}`);
  [run.webPort, run.webDemoPort, run.demoSimPort] = await freePorts(3);
  [run.demoBffPort] = await freePorts(1, gw);

  // WeChat for the bff image (real mode): the simulator, on the gateway address.
  const sim = await import(join(ROOT, 'wechat-sim/dist/index.js'));
  run.apps = sim.demoApps('localhost');
  const wechat = await sim.createSimulator({ apps: run.apps, allowPorts: true }).listen(0, gw);
  closers.push(() => wechat.close());
  run.wechat = wechat.origin;

  // The SMS gateway the bff image's webhook provider posts to: keeps the last code per phone.
  run.sms = new Map();
  const gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { phone, code } = JSON.parse(body);
      run.sms.set(phone, code);
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => gateway.listen(0, gw, r));
  closers.push(() => new Promise((r) => gateway.close(r)));
  run.smsUrl = `http://${gw}:${gateway.address().port}/sms`;

  // The journey page's curl walk needs the demo (its simulator, its SMS inbox), which the production bff image
  // leaves out: the repository's own BFF in demo mode, as `pnpm start` runs it, behind a web container.
  const demoBff = spawn(process.execPath, [join(ROOT, 'bff/dist/server.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(run.demoBffPort),
      HOST: gw,
      PUBLIC_URL: `http://localhost:${run.webDemoPort}`,
      WXSIM_PORT: String(run.demoSimPort),
      DATABASE_URL: `sqlite:${join(WORK, 'demo/wxauth.db')}`,
      TRUST_PROXY: run.net.webDemo,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  closers.push(() => (demoBff.exitCode === null ? (demoBff.kill(), once(demoBff, 'exit')) : undefined));
  await until('the demo BFF', async () => (await fetch(`http://${gw}:${run.demoBffPort}/healthz`)).ok);
});

after(async () => {
  // Kept: what Docker has of the run, and its folder; its servers and the demo BFF stop all the same (the
  // run would not end while they listen).
  const keep = process.env.WXAUTH_DOCKER_KEEP === '1';
  if (keep) console.error(`test:docker: kept what run ${RUN.id} made (label ${RUN_LABEL}=${RUN.id}), and ${WORK}`);
  else await removeLeftovers();
  for (const close of closers.reverse()) await close();
  if (!keep) rmSync(WORK, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------ images

const buildArgs = () => [
  ...Object.entries({ ...BASES, NPM_REGISTRY }).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
  '--secret',
  `id=extra_ca,src=${EXTRA_CA_FILE}`,
];

test('both targets build with the Dockerfile, from the base images and registry given', async (t) => {
  for (const target of ['bff', 'web']) {
    const started = Date.now();
    // Tagged and labelled for this run, which removes them: a run beside it builds and removes its own.
    await logged(
      `build-${target}.log`,
      DOCKER,
      ['build', '--target', target, '-t', IMAGES[target], ...LABELS, ...buildArgs(), '.'],
      {
        DOCKER_BUILDKIT: '1',
      },
    );
    t.diagnostic(`${target}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const sizes = await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGES.bff, BASES.NODE_IMAGE, IMAGES.web]);
  const [bff, node, web] = sizes.stdout.trim().split('\n').map(Number);
  const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
  run.sizes = { bff, node, web };
  t.diagnostic(`wxauth-bff ${mb(bff)} (${mb(bff - node)} over ${BASES.NODE_IMAGE}), wxauth-web ${mb(web)}`);
});

test('the bff image is lean: production dependencies only, one native binary, no build leftovers', async () => {
  // Over its Node base: the BFF and its dependencies, about 20 MB (a full install is over 300 MB).
  assert.ok(run.sizes.bff - run.sizes.node < 40e6, `the bff image adds ${run.sizes.bff - run.sizes.node} bytes`);
  const found = await docker([
    'run',
    '--rm',
    ...LABELS,
    '--entrypoint',
    'sh',
    IMAGES.bff,
    '-c',
    "cd /app && find . \\( -name '*.a' -o -name obj -o -name obj.target -o -name test_extension.node -o -name config.gypi -o -name .modules.yaml \\) -print; ls node_modules/.pnpm",
  ]);
  const [leftovers, packages] = [found.stdout.split('\n').filter((l) => l.startsWith('./')), found.stdout];
  assert.deepEqual(leftovers, []);
  // One native binary: better-sqlite3's for this platform, none of its others.
  const binaries = await docker([
    'run',
    '--rm',
    ...LABELS,
    '--entrypoint',
    'find',
    IMAGES.bff,
    '/app',
    '-name',
    '*.node',
  ]);
  assert.match(
    binaries.stdout.trim(),
    /^\/app\/node_modules\/\.pnpm\/better-sqlite3@[^/]+\/node_modules\/better-sqlite3\/\S+\.node$/,
  );
  // One line per package (a peer's version may follow a package's own, after an underscore).
  for (const dev of ['typescript@', 'vitest@', '@wxauth+wechat-sim', 'vite@', '@types+'])
    assert.ok(!packages.split('\n').some((l) => l.startsWith(dev)), `${dev} is in the bff image`);
  assert.match(packages, /better-sqlite3@/);
});

test('neither image keeps the npm registry or the CA certificate of the build', async () => {
  const ca = readFileSync(EXTRA_CA_FILE, 'utf8');
  // A line from the middle of each certificate: base64 that no other file has.
  const marks = [...ca.matchAll(/-----BEGIN CERTIFICATE-----\n(?:.*\n){3}(.*)\n/g)].map((m) => m[1]);
  for (const image of [IMAGES.bff, IMAGES.web]) {
    const history = (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image])).stdout;
    const config = await inspect('{{json .Config.Env}} {{json .Config.Labels}}', image);
    for (const text of [history, config]) {
      assert.ok(!/npm_config_registry|NPM_REGISTRY|extra_ca|NODE_EXTRA_CA_CERTS/.test(text), `${image}: ${text}`);
      if (NPM_REGISTRY !== 'https://registry.npmjs.org/') assert.ok(!text.includes(NPM_REGISTRY));
    }
    if (marks.length === 0) continue;
    // Every file of the image, as a tar stream, searched for the certificate.
    const id = (await docker(['create', ...LABELS, image])).stdout.trim();
    try {
      const hits = await new Promise((resolve, reject) => {
        const exported = spawn(DOCKER, ['export', id], { stdio: ['ignore', 'pipe', 'inherit'] });
        const grep = spawn('grep', ['-a', '-c', '-F', ...marks.flatMap((m) => ['-e', m])], {
          stdio: [exported.stdout, 'pipe', 'inherit'],
        });
        let out = '';
        grep.stdout.on('data', (c) => (out += c));
        grep.on('close', () => resolve(Number(out.trim() || 0)));
        grep.on('error', reject);
      });
      assert.equal(hits, 0, `${image} contains the build's CA certificate`);
    } finally {
      await docker(['rm', '-f', '-v', id]);
    }
  }
});

// ------------------------------------------------------------------------------------------ running

const verifyDir = join(WORK, 'verify');
const WEB = `${P}-web`;
const WEB_DEMO = `${P}-web-demo`;
const BFF = `${P}-bff`;
const web = () => `http://localhost:${run.webPort}`;

test('the images start: the bff in real mode on a volume, nginx in front of it and of the demo', async () => {
  mkdirSync(verifyDir, { mode: 0o755 });
  writeFileSync(join(verifyDir, 'MP_verify_dockerMounted1.txt'), 'dockerMountedToken', { mode: 0o644 });
  const [official] = run.apps;
  await docker(['volume', 'create', ...LABELS, `${P}-data`]);
  await docker([
    'run',
    '-d',
    '--name',
    BFF,
    ...LABELS,
    '--network',
    NET,
    '--network-alias',
    'bff',
    '-v',
    `${P}-data:/data`,
    '-e',
    `PUBLIC_URL=${web()}`,
    '-e',
    `TRUST_PROXY=${run.net.web}`,
    '-e',
    `WX_APPID=${official.appid}`,
    '-e',
    `WX_APPSECRET=${official.secret}`,
    '-e',
    `WX_OPEN_BASE=${run.wechat}`,
    '-e',
    `WX_API_BASE=${run.wechat}`,
    '-e',
    'SESSION_SECRET=docker-test-session-secret-0123456789abcdef',
    '-e',
    'INTERNAL_API_TOKEN=docker-test-internal-token-0123456789abcdef',
    '-e',
    'SMS_PROVIDER=webhook',
    '-e',
    `SMS_WEBHOOK_URL=${run.smsUrl}`,
    IMAGES.bff,
  ]);
  await until(
    'the bff container',
    async () =>
      (
        await docker(
          [
            'exec',
            BFF,
            'node',
            '-e',
            "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
          ],
          { check: false },
        )
      ).code === 0,
  );
  await docker([
    'run',
    '-d',
    '--name',
    WEB,
    ...LABELS,
    '--network',
    NET,
    '--ip',
    run.net.web,
    '-p',
    `127.0.0.1:${run.webPort}:8080`,
    '-v',
    `${verifyDir}:/etc/wxauth/verify:ro`,
    '-e',
    `PUBLIC_URL=${web()}`,
    '-e',
    'WX_PROXY_PUBLIC_URL=https://proxy.example.test',
    IMAGES.web,
  ]);
  await docker([
    'run',
    '-d',
    '--name',
    WEB_DEMO,
    ...LABELS,
    '--network',
    NET,
    '--ip',
    run.net.webDemo,
    '-p',
    `127.0.0.1:${run.webDemoPort}:8080`,
    '-e',
    `PUBLIC_URL=http://localhost:${run.webDemoPort}`,
    '-e',
    `WXAUTH_UPSTREAM=${run.net.gateway}:${run.demoBffPort}`,
    IMAGES.web,
  ]);
  for (const port of [run.webPort, run.webDemoPort])
    await until(`nginx on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/nginx-health`)).ok);
});

test('both run as users of their own, never root', async () => {
  assert.equal((await docker(['exec', BFF, 'id', '-u'])).stdout.trim(), '1000');
  // nginx's master and its workers alike (the web image has no ps: /proc).
  const uids = (await docker(['exec', WEB, 'sh', '-c', "grep -h '^Uid:' /proc/[0-9]*/status"])).stdout;
  const owners = new Set(
    uids
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]),
  );
  assert.deepEqual([...owners], ['101']);
});

test("the journey page's curl walk, every → line, through the web image", async () => {
  const journey = readFileSync(join(ROOT, 'docs/guide/journey.md'), 'utf8');
  const from = journey.indexOf('## Walk the journey with curl');
  const script = /```sh\n([\s\S]*?)```/.exec(journey.slice(from))?.[1];
  assert.ok(from >= 0 && script?.includes('B=http://localhost:8080\n'), 'docs/guide/journey.md: the curl walk');
  const out = await new Promise((resolve, reject) =>
    execFile(
      'bash',
      ['-euc', script.replace('localhost:8080', `localhost:${run.webDemoPort}`)],
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  const expected = [...script.matchAll(/^#\s+→ (.*)$/gm)].map((m) => m[1]);
  assert.ok(expected.length > 5);
  assert.deepEqual(out.split('\n').filter(Boolean), expected);
});

test('a WeChat user signs in and binds a phone through the web image to the bff image (real mode)', async () => {
  const phone = browser(web());
  const start = await phone('/api/auth/wechat/authorize?returnTo=/orders');
  assert.equal(start.status, 302);
  const authorize = new URL(start.headers.get('location').replace('#wechat_redirect', ''));
  assert.equal(authorize.origin, run.wechat);
  authorize.searchParams.set('wxsim_user', `docker-${Date.now()}`);
  const back = new URL((await get(authorize)).headers.get('location'));
  assert.equal(back.origin + back.pathname, `${web()}/auth`);
  const login = await phone(
    '/api/auth/wechat/login',
    json({ code: back.searchParams.get('code'), state: back.searchParams.get('state') }),
  );
  assert.deepEqual([login.status, await login.json()], [200, { next: 'bind', returnTo: '/orders' }]);
  const sent = await phone('/api/sms/send', json({ phone: '13800138000' }));
  assert.equal(sent.status, 200);
  const bound = await phone('/api/account/bind', json({ phone: '13800138000', smsCode: run.sms.get('13800138000') }));
  assert.deepEqual([bound.status, await bound.json()], [200, { next: 'home', returnTo: '/orders' }]);
  const session = await (await phone('/api/session')).json();
  assert.equal(session.bound, true);
  // The BFF saw the browser's address as nginx gave it, and wrote its database to the volume.
  await docker(['exec', BFF, 'test', '-s', '/data/wxauth.db']);
});

test('wxauth admin in the bff image: support finds that customer by phone (docs/guide/admin.md)', async () => {
  const show = (...args) => docker(['exec', BFF, 'wxauth', 'admin', 'customer', 'show', '13800138000', ...args]);
  const shown = JSON.parse((await show('--json')).stdout);
  assert.equal(shown.customer.phone, '138****8000');
  assert.deepEqual(
    shown.bindings.map((b) => b.method),
    ['sms'],
  );
  const table = (await show()).stdout;
  assert.match(table, /^customer \S+ \(local\)\s+phone 138\*{4}8000/);
  assert.ok(!table.includes('13800138000'), 'no full phone number without --reveal');
  const wrong = await docker(['exec', BFF, 'wxauth', 'admin', 'customer', 'show', '13900139000'], { check: false });
  assert.equal(wrong.code, 1);
});

test('MP_verify files: the built ones byte for byte as text/plain, and a mounted one', async () => {
  const built = readdirSync(join(ROOT, 'public')).filter((f) => /^MP_verify_\w+\.txt$/.test(f));
  assert.ok(built.length > 0);
  for (const name of built) {
    const res = await get(`${web()}/${name}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(res.headers.get('content-encoding'), null);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(join(ROOT, 'public', name)));
  }
  const mounted = await get(`${web()}/MP_verify_dockerMounted1.txt`);
  assert.deepEqual([mounted.status, await mounted.text()], [200, 'dockerMountedToken']);
});

test('the auth page has the strict CSP at /auth and /auth/', async () => {
  for (const path of ['/auth', '/auth/', '/auth/?code=c&state=s']) {
    const csp = (await get(`${web()}${path}`)).headers.get('content-security-policy');
    assert.match(csp, /img-src 'self' data:; frame-src 'none';/, path);
  }
  const home = (await get(`${web()}/`)).headers.get('content-security-policy');
  assert.match(home, /frame-src https:\/\/open\.weixin\.qq\.com/);
});

test('hashed assets: cached for good, and gzipped', async () => {
  const html = await (await get(`${web()}/auth`)).text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, 'an asset in index.html');
  const res = await get(`${web()}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(res.headers.get('content-encoding'), 'gzip');
});

test("/internal/ and /metrics are refused; /healthz and /readyz are the BFF's", async () => {
  const revoke = await get(`${web()}/internal/customers/1/revoke-wechat`, {
    method: 'POST',
    headers: { authorization: 'Bearer docker-test-internal-token-0123456789abcdef' },
  });
  assert.equal(revoke.status, 404);
  const metrics = await get(`${web()}/metrics`);
  assert.equal(metrics.status, 404);
  assert.doesNotMatch(await metrics.text(), /# HELP/);
  assert.deepEqual(await (await get(`${web()}/healthz`)).json(), { status: 'ok' });
  assert.deepEqual(await (await get(`${web()}/readyz`)).json(), { status: 'ready', database: 'ok', state: 'ok' });
});

test('server names from PUBLIC_URL and WX_PROXY_PUBLIC_URL; a URL that is not one stops the web image', async () => {
  const config = (await docker(['exec', WEB, 'nginx', '-T'])).stdout;
  assert.match(config, /server_name localhost;/);
  assert.match(config, /server_name proxy\.example\.test;/);
  assert.doesNotMatch(config, /^[^#\n]*\$\{WXAUTH_/m, 'a template name left in the rendered nginx.conf');
  // The proxy's own domain answers with the proxy, and nothing else of the site.
  const status = (host) =>
    new Promise((resolve, reject) =>
      request({ host: '127.0.0.1', port: run.webPort, path: '/auth', headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end(),
    );
  assert.deepEqual([await status('proxy.example.test'), await status('localhost')], [404, 200]);
  const bad = await docker(['run', '--rm', ...LABELS, '-e', 'PUBLIC_URL=h5.example.com', IMAGES.web], {
    check: false,
    timeout: 30_000,
  });
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.stderr,
    /PUBLIC_URL must be an http\(s\) URL such as https:\/\/h5\.example\.com, got "h5\.example\.com"/,
  );
});

test('both HEALTHCHECKs report healthy', async () => {
  await until(
    'docker health of web and bff',
    async () => (await inspect('{{.State.Health.Status}}', WEB, BFF)).split('\n').every((s) => s === 'healthy'),
    { timeout: 90_000, every: 1000 },
  );
});

test('the BFF logs reach docker logs within a second, and a SIGKILL loses none', async (t) => {
  const id = async () => (await get(`${web()}/api/meta`)).headers.get('x-request-id');
  const first = await id();
  assert.ok(first);
  const started = Date.now();
  await until('the request in docker logs', async () => (await docker(['logs', BFF])).stdout.includes(first), {
    timeout: 1000,
    every: 50,
  });
  const seen = Date.now() - started;
  t.diagnostic(`a request's log line was in docker logs after ${seen} ms`);
  const last = await id();
  await docker(['kill', '-s', 'KILL', BFF]);
  assert.ok((await docker(['logs', BFF])).stdout.includes(last), 'the last request before the kill is in the log');
  assert.ok(seen <= 1000, `${seen} ms`);
  await docker(['start', BFF]);
});

test('a /data owned by root (a bind mount): the bff stops and says to chown it to uid 1000', async () => {
  const data = join(WORK, 'root-owned');
  mkdirSync(data, { mode: 0o755 });
  const [official] = run.apps;
  const res = await docker(
    [
      'run',
      '--rm',
      ...LABELS,
      '-v',
      `${data}:/data`,
      '-e',
      `WX_APPID=${official.appid}`,
      '-e',
      `WX_APPSECRET=${official.secret}`,
      '-e',
      'SESSION_SECRET=docker-test-session-secret-0123456789abcdef',
      '-e',
      'INTERNAL_API_TOKEN=docker-test-internal-token-0123456789abcdef',
      '-e',
      'SMS_PROVIDER=webhook',
      '-e',
      `SMS_WEBHOOK_URL=${run.smsUrl}`,
      IMAGES.bff,
    ],
    { check: false, timeout: 60_000 },
  );
  assert.equal(res.code, 1);
  assert.match(res.stderr, /\/data is not writable by uid 1000 \(this process\)/);
  assert.match(res.stderr, /chown -R 1000:1000/);
});

// ------------------------------------------------------------------------------------------ compose

const COMPOSE_FILE = join(ROOT, 'docs/docker-compose.yml');
const COMPOSE_OVERRIDE = join(WORK, 'compose.run.yml');
function compose(args, options) {
  const files = ['-f', COMPOSE_FILE, '-f', COMPOSE_OVERRIDE, '--env-file', join(WORK, 'compose.env')];
  return docker(['compose', '-p', P, ...files, ...args], options);
}
const composeUrl = () => `http://127.0.0.1:${run.composePort}`;

/**
 * What this run changes of the compose file, beside its project name: its labels on everything, its image
 * tags, and the subnet (nginx's fixed address, and the BFFs' TRUST_PROXY, in it). `!override` replaces the
 * file's subnet where a second file's list would be added to it (Compose 2.24.4 or later).
 */
function composeOverride(subnet) {
  const labels = JSON.stringify(RUN.labels);
  const nginx = hostAt(subnet, 10);
  const bff = `{ image: ${IMAGES.bff}, labels: ${labels}, build: { labels: ${labels} }, environment: { TRUST_PROXY: ${nginx} } }`;
  return [
    'services:',
    `  web: { image: ${IMAGES.web}, labels: ${labels}, build: { labels: ${labels} }, networks: { wxauth: { ipv4_address: ${nginx} } } }`,
    `  bff-1: ${bff}`,
    `  bff-2: ${bff}`,
    `  mysql: { labels: ${labels} }`,
    `  redis: { labels: ${labels} }`,
    'networks:',
    `  wxauth: { labels: ${labels}, ipam: { config: !override [{ subnet: ${subnet} }] } }`,
    'volumes:',
    `  mysql: { labels: ${labels} }`,
    `  redis: { labels: ${labels} }`,
    '',
  ].join('\n');
}

test('compose: nginx starts after both BFFs are healthy, and its first answer is no 502', async (t) => {
  const secret = () =>
    Array.from({ length: 40 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)]).join('');
  writeFileSync(
    join(WORK, 'compose.env'),
    Object.entries({
      PUBLIC_URL: 'https://h5.example.com',
      WX_APPID: 'wx0123456789abcdef',
      WX_APPSECRET: '0123456789abcdef0123456789abcdef',
      SESSION_SECRET: secret(),
      INTERNAL_API_TOKEN: secret(),
      SMS_WEBHOOK_URL: 'https://sms-gateway.internal/send',
      SMS_WEBHOOK_TOKEN: secret(),
      MYSQL_PASSWORD: secret(),
      REDIS_PASSWORD: secret(),
      // 127.0.0.1::8080: a free port Docker picks.
      WXAUTH_HTTP_PORT: '127.0.0.1:',
      WXAUTH_VERIFY_DIR: verifyDir,
      ...BASES,
      NPM_REGISTRY,
      EXTRA_CA_FILE,
    })
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  const started = Date.now();
  // As docs/guide/docker.md says it (the images above are its build's cache, with the same arguments).
  const subnet = await onFreeSubnet('the compose network', async (subnet) => {
    writeFileSync(COMPOSE_OVERRIDE, composeOverride(subnet));
    await compose(['up', '-d', '--build']);
    return subnet;
  });
  run.composePort = Number((await compose(['port', 'web', '8080'])).stdout.trim().split(':').pop());
  t.diagnostic(`compose up: ${((Date.now() - started) / 1000).toFixed(1)} s, on ${subnet}, port ${run.composePort}`);
  const statuses = [];
  await until(
    'nginx in compose',
    async () => {
      const res = await fetch(`${composeUrl()}/api/meta`);
      statuses.push(res.status);
      return res.ok;
    },
    { timeout: 60_000, every: 100 },
  );
  assert.deepEqual(
    statuses.filter((s) => s >= 500),
    [],
  );
  assert.equal((await (await fetch(`${composeUrl()}/api/meta`)).json()).demo, false);
  assert.equal(await (await fetch(`${composeUrl()}/MP_verify_dockerMounted1.txt`)).text(), 'dockerMountedToken');
});

const bffs = ['bff-1', 'bff-2'];
const container = async (service) => (await compose(['ps', '-q', service])).stdout.trim();

test('compose: every service healthy; both BFFs ready on MySQL and Redis, and both serve', async () => {
  const ids = await Promise.all(['web', 'mysql', 'redis', ...bffs].map(container));
  await until(
    'compose health',
    async () => (await inspect('{{.State.Health.Status}}', ...ids)).split('\n').every((s) => s === 'healthy'),
    {
      timeout: 90_000,
      every: 1000,
    },
  );
  for (let i = 0; i < 20; i++) assert.equal((await fetch(`${composeUrl()}/api/meta`)).status, 200);
  for (const service of bffs) {
    const id = await container(service);
    const ready = await docker([
      'exec',
      id,
      'node',
      '-e',
      "fetch('http://127.0.0.1:8080/readyz').then(r=>r.text()).then(console.log)",
    ]);
    assert.deepEqual(JSON.parse(ready.stdout), { status: 'ready', database: 'ok', state: 'ok' });
    const served = (await docker(['logs', id])).stdout.split('\n').filter((l) => l.includes('"path":"/api/meta"'));
    assert.ok(served.length >= 3, `${service} served ${served.length} of the 20 requests`);
  }
});

// `docker stop`: the BFF refuses connections while it shuts down, then its address vanishes. The first
// request nginx sends it after that waits out proxy_connect_timeout (1 s) and goes to the other; nginx
// then leaves it out for fail_timeout (30 s), after which one request tries it again. The loop covers the
// stop and 25 s after: one such window.
test('compose: one BFF stopped, at most one request waits (under 2 s), and none fails', async (t) => {
  const results = [];
  let stopping = false;
  const stop = (async () => {
    await new Promise((r) => setTimeout(r, 1500));
    stopping = true;
    await compose(['stop', 'bff-2']);
  })();
  const deadline = Date.now() + 26_500;
  for (let i = 0; Date.now() < deadline; i++) {
    // GETs and POSTs: nginx passes a POST on only when it sent nothing, and here it never has.
    const post = i % 3 === 2;
    const started = performance.now();
    const res = await fetch(`${composeUrl()}/api/${post ? 'auth/logout' : 'meta'}`, post ? json({}) : undefined);
    await res.arrayBuffer();
    results.push({ i, post, status: res.status, ms: Math.round(performance.now() - started), stopping });
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop;
  const slow = results.filter((r) => r.ms > 500);
  t.diagnostic(
    `${results.length} requests; slowest ${Math.max(...results.map((r) => r.ms))} ms; over 500 ms: ${JSON.stringify(slow)}`,
  );
  assert.deepEqual(
    results.filter((r) => r.status >= 500),
    [],
  );
  assert.ok(slow.length <= 1, JSON.stringify(slow));
  assert.ok(
    slow.every((r) => r.ms < 2000),
    JSON.stringify(slow),
  );
  assert.ok(results.filter((r) => r.stopping).length > 100);
});
