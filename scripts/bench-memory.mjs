// pnpm bench:memory — the BFF's memory as shipped: the bff image built with the repository's Dockerfile,
// run under a container memory limit (docker run --memory=256m) with the image's own Node flags,
// driven through 60,000 logins against the simulator on this machine; then the container's memory
// (cgroup memory.current and memory.peak, docker stats) and the Node process's RSS (VmRSS, VmHWM).
//
// Run by scripts/bench-memory.sh through scripts/test-docker.sh, which sets Docker and the base images
// up (DOCKER, NODE_IMAGE, NPM_REGISTRY, EXTRA_CA_FILE). The container shares this machine's network
// (--network host): it listens on a free loopback port, and reaches the simulator on 127.0.0.1.
// Usage: pnpm bench:memory [--requests 60000 --concurrency 32 --memory 256m]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bffEnv, freePort, httpWith, starter, waitFor as waitForUrl } from './bench/process.mjs';
import { newRun } from './docker/runs.mjs';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    requests: { type: 'string', default: '60000' },
    concurrency: { type: 'string', default: '32' },
    memory: { type: 'string', default: '256m' },
    // An image already built (skips the build): e.g. one tagged by an earlier run with --keep.
    image: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // For trying a setting before it goes into the Dockerfile (--env NODE_OPTIONS=…): the figure that
    // counts is the image's own, without it.
    env: { type: 'string', multiple: true, default: [] },
  },
});
const N = Number(args.requests);
const C = Number(args.concurrency);
const DOCKER = process.env.DOCKER ?? 'docker';
const RUN = newRun();
const LABELS = Object.entries(RUN.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
const IMAGE = args.image ?? `wxauth-bff:bench-${RUN.id}`;
const NAME = `${RUN.prefix}-bench-bff`;
const APPID = 'wx00000000000000de';
const SECRET = 'demoOfficialAccountSecret0000000';

function docker(dockerArgs, { check = true } = {}) {
  return new Promise((resolve, reject) => {
    execFile(DOCKER, dockerArgs, { maxBuffer: 64 << 20, timeout: 1_800_000 }, (err, stdout, stderr) => {
      if (err && check) reject(new Error(`docker ${dockerArgs.join(' ')}: ${stderr.slice(-3000)}`));
      else resolve({ code: err ? 1 : 0, stdout, stderr });
    });
  });
}

const work = mkdtempSync(join(tmpdir(), 'wxauth-bench-memory-'));
const children = [];
const cleanup = async () => {
  for (const c of children) c.kill('SIGKILL');
  await docker(['rm', '-f', '-v', NAME], { check: false });
  if (!args.image && !args.keep) await docker(['rmi', IMAGE], { check: false });
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  if (!args.image) {
    const started = Date.now();
    writeFileSync(join(work, 'ca.pem'), '');
    const bases = { NODE_IMAGE: process.env.NODE_IMAGE, NPM_REGISTRY: process.env.NPM_REGISTRY };
    const build = [
      'build',
      '--target',
      'bff',
      '-t',
      IMAGE,
      ...LABELS,
      ...Object.entries(bases)
        .filter(([, v]) => v)
        .flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      '--secret',
      `id=extra_ca,src=${process.env.EXTRA_CA_FILE ?? join(work, 'ca.pem')}`,
      '.',
    ];
    console.error(`bench:memory: building ${IMAGE}…`);
    await docker(build);
    console.error(`bench:memory: built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  // The Node flags the image ships: the container is run without a NODE_OPTIONS of ours.
  const imageEnv = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config.Env}}', IMAGE])).stdout);
  const setting = (name) => imageEnv.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  const nodeOptions = setting('NODE_OPTIONS') ?? '';
  const arenas = setting('MALLOC_ARENA_MAX');

  const [SIM_PORT, BFF_PORT] = [await freePort(), await freePort()];
  const SIM = `http://127.0.0.1:${SIM_PORT}`;
  const BFF = `http://127.0.0.1:${BFF_PORT}`;
  const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
  const http = httpWith(agent);
  starter(children)(process.execPath, ['wechat-sim/dist/cli.js'], {
    WXSIM_PORT: String(SIM_PORT),
    WXSIM_CALLBACK_DOMAIN: 'localhost',
  });
  const env = {
    ...bffEnv({ port: BFF_PORT, sim: SIM, appid: APPID, secret: SECRET }),
    HOST: '127.0.0.1',
  };
  await docker([
    'run',
    '-d',
    '--name',
    NAME,
    ...LABELS,
    '--network',
    'host',
    `--memory=${args.memory}`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ...args.env.flatMap((e) => ['-e', e]),
    IMAGE,
  ]);
  await waitForUrl(http, `${SIM}/__sim/stats`);
  // A container starts slower than a process, the more so on a busy machine: a minute at most.
  for (let i = 0; ; i++) {
    const up = await http('GET', `${BFF}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i >= 240) {
      const logs = await docker(['logs', '--tail', '20', NAME], { check: false });
      throw new Error(`the bff container did not come up:\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  /**
   * The container's memory: the cgroup's (what the limit counts; cgroup v2 memory.current and
   * memory.peak, or v1 memory.usage_in_bytes and memory.max_usage_in_bytes), its anonymous memory and
   * page cache (memory.stat), and the Node process's own RSS (PID 1: the image's CMD is node).
   */
  const memory = async () => {
    const script = [
      'cd /sys/fs/cgroup',
      'if [ -f memory.current ]; then echo current $(cat memory.current); echo peak $(cat memory.peak 2>/dev/null)',
      'else echo current $(cat memory/memory.usage_in_bytes); echo peak $(cat memory/memory.max_usage_in_bytes); fi',
      'cat memory.stat 2>/dev/null || cat memory/memory.stat',
      'grep -E "^(Vm(RSS|HWM)|Rss(Anon|File))" /proc/1/status',
    ].join('\n');
    const out = (await docker(['exec', NAME, 'sh', '-c', script], { check: false })).stdout;
    const value = (name) => Number(new RegExp(`^${name}:?\\s+(\\d+)`, 'm').exec(out)?.[1]);
    const mb = (name) => value(name) / 2 ** 20;
    return {
      current: mb('current'),
      peak: mb('peak'),
      // v2: anon and file; v1: total_rss and total_cache.
      anon: Number.isFinite(mb('anon')) ? mb('anon') : mb('total_rss'),
      file: Number.isFinite(mb('file')) ? mb('file') : mb('total_cache'),
      rss: value('VmRSS') / 1024,
      hwm: value('VmHWM') / 1024,
      rssAnon: value('RssAnon') / 1024,
      rssFile: value('RssFile') / 1024,
    };
  };
  const stats = async () => (await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', NAME])).stdout.trim();
  const statsAtStart = await stats();
  const atStart = await memory();

  // A virtual user's IP, from the benchmarking range (RFC 2544), carried only in X-Forwarded-For.
  const ipOf = (i) => `198.18.${(i >> 8) & 255}.${i & 255}`;
  const userOf = (i) => `bench${i % 1000}`;
  /** One login as a browser makes it: authorize, WeChat's redirect back, the login. */
  async function login(i) {
    const ip = ipOf(i);
    const start = await http('GET', `${BFF}/api/auth/wechat/authorize`, { headers: { 'x-forwarded-for': ip } });
    const cookie = start.headers['set-cookie'].map((c) => c.split(';')[0]).join('; ');
    const simUrl = start.headers.location.replace(/#.*$/, '') + `&wxsim_user=${userOf(i)}`;
    const back = new URL((await http('GET', simUrl)).headers.location);
    const body = JSON.stringify({ code: back.searchParams.get('code'), state: back.searchParams.get('state') });
    const res = await http('POST', `${BFF}/api/auth/wechat/login`, {
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        cookie,
        'x-forwarded-for': ip,
      },
      body,
    });
    return res.status === 200;
  }

  const t0 = performance.now();
  let next = 0;
  let errors = 0;
  let sampled = { current: 0, rss: 0 };
  const sampler = setInterval(async () => {
    const m = await memory().catch(() => undefined);
    if (m) sampled = { current: Math.max(sampled.current, m.current), rss: Math.max(sampled.rss, m.rss) };
  }, 10_000);
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N) {
        const i = next++;
        if (!(await login(i).catch(() => false))) errors++;
        if (i > 0 && i % 10_000 === 0) console.error(`bench:memory: ${i} logins`);
      }
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const atEnd = await memory();
  // V8's share, from the BFF's own metrics.
  const metricsText = (await http('GET', `${BFF}/metrics`)).body;
  const heapMb = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1]) / 2 ** 20;
  const statsAtEnd = await stats();
  // Where the anonymous memory is: the process's mappings summed by kind (malloc's [heap], the
  // unnamed ones: V8's heap and code, malloc's larger blocks, thread stacks), from inside the container.
  const breakdown = (
    await docker(
      [
        'exec',
        NAME,
        'node',
        '-e',
        `const t=require('fs').readFileSync('/proc/1/smaps','utf8');const o={};let k;for(const l of t.split('\\n')){const m=/^[0-9a-f]+-[0-9a-f]+ \\S+ \\S+ \\S+ \\S+\\s*(.*)$/.exec(l);if(m){k=m[1]||'(unnamed)';if(k.startsWith('/'))k=k.split('/').pop();continue}const a=/^Anonymous:\\s+(\\d+)/.exec(l);if(a)o[k]=(o[k]||0)+Number(a[1])}console.log(Object.entries(o).filter(e=>e[1]>=1024).sort((x,y)=>y[1]-x[1]).map(([n,v])=>n+' '+(v/1024).toFixed(1)+' MB').join(', '))`,
      ],
      { check: false },
    )
  ).stdout.trim();
  const oom = (await docker(['inspect', '-f', '{{.State.OOMKilled}} {{.RestartCount}}', NAME])).stdout.trim();
  const nodeVersion = (await docker(['exec', NAME, 'node', '--version'])).stdout.trim();
  const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
  console.log(`
${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · image ${IMAGE} (node ${nodeVersion}, NODE_OPTIONS=${nodeOptions || '(none)'}${arenas ? `, MALLOC_ARENA_MAX=${arenas}` : ''}) · docker run --memory=${args.memory} · ${cpus().length} × ${cpus()[0].model} · load ${loadavg()[0].toFixed(1)} at the end · ${N} logins (authorize, WeChat, login), concurrency ${C}, ${(N / seconds).toFixed(0)} logins/s, ${errors} errors

|                                         | at start | after ${N} logins | highest |
| --------------------------------------- | -------: | ----------------: | ------: |
| Node process RSS (VmRSS; VmHWM highest) | ${f(atStart.rss)} MB | **${f(atEnd.rss)} MB** | ${f(atEnd.hwm)} MB |
| container (cgroup memory.current; memory.peak highest) | ${f(atStart.current)} MB | ${f(atEnd.current)} MB | ${f(atEnd.peak)} MB |
| the process's RSS: anonymous / files mapped (RssAnon / RssFile) | ${f(atStart.rssAnon)} / ${f(atStart.rssFile)} MB | ${f(atEnd.rssAnon)} / ${f(atEnd.rssFile)} MB | |
| the container's: anonymous / page cache (memory.stat) | ${f(atStart.anon)} / ${f(atStart.file)} MB | ${f(atEnd.anon)} / ${f(atEnd.file)} MB | |
| docker stats | ${statsAtStart} | ${statsAtEnd} | |

- RSS after ${N} logins: **${f(atEnd.rss)} MB** (target ≤ 150 MB); highest sampled every 10 s: RSS ${f(sampled.rss)} MB, container ${f(sampled.current)} MB
- V8 heap at the end: ${f(heapMb('nodejs_heap_size_used_bytes'))} MB used of ${f(heapMb('nodejs_heap_size_total_bytes'))} MB, external ${f(heapMb('nodejs_external_memory_bytes'))} MB${args.env.length ? `\n- run with ${args.env.join(' ')} (not the image's setting)` : ''}
- the process's anonymous memory by mapping (smaps): ${breakdown || 'n/a'}
- OOM-killed, restarts: ${oom}
`);
  await cleanup();
  process.exit(errors > 0 || oom.startsWith('true') ? 1 : 0);
} catch (err) {
  console.error(err);
  await cleanup();
  process.exit(1);
}
