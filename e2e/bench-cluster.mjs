// pnpm bench:cluster — whole logins per second through nginx with one and with two BFF instances, on
// a real MariaDB and Redis: each login is GET authorize (BFF), WeChat's silent authorize (the
// simulator), POST login (BFF: the code exchange, the identity upsert, the session in Redis), every
// login from a loopback address of its own, as many phones would be. Same stack, same load, in turn.
// Usage: pnpm bench:cluster [-- --seconds 20 --concurrency 32 --users 2000 --bff-cpus 0.3]
// --bff-cpus: each BFF process gets at most that many CPUs (a CFS quota in a cgroup of its own, as a
// container's CPU limit would; needs root and the cgroup cpu controller), so the BFF is the limit.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Phone, startCluster } from './cluster.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    users: { type: 'string', default: '2000' },
    'bff-cpus': { type: 'string', default: '' },
  },
});
const SECONDS = Number(args.seconds);
const C = Number(args.concurrency);
const USERS = Number(args.users);
const BFF_CPUS = args['bff-cpus'] ? Number(args['bff-cpus']) : undefined;
const CGROUP_CPU = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup'].find((d) => existsSync(d));

/** Puts a process in a cgroup of its own with a CPU quota; returns how to remove that cgroup. */
function limitCpu(pid, cpus, name) {
  const dir = `${CGROUP_CPU}/${name}`;
  mkdirSync(dir, { recursive: true });
  const period = 100_000;
  if (existsSync(`${dir}/cpu.cfs_quota_us`)) {
    writeFileSync(`${dir}/cpu.cfs_period_us`, String(period));
    writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(cpus * period)));
  } else writeFileSync(`${dir}/cpu.max`, `${Math.round(cpus * period)} ${period}`);
  writeFileSync(`${dir}/cgroup.procs`, String(pid));
  return () => rmdirSync(dir);
}

let addresses = 0;
/** A loopback address no earlier login used: no per-address limit is ever reached. */
const nextAddress = () => {
  const n = ++addresses;
  return `127.${2 + (Math.floor(n / 62_500) % 250)}.${Math.floor(n / 250) % 250}.${1 + (n % 250)}`;
};

/** CPU time a process has used so far, in ms (Linux: utime + stime from /proc, 100 ticks a second). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function run(origin, seconds) {
  const latencies = [];
  let failures = 0;
  let users = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < end) {
        const phone = new Phone(nextAddress(), `bench${String(users++ % USERS).padStart(6, '0')}`);
        const started = performance.now();
        const answer = await phone.login(origin).catch(() => ({ status: 0 }));
        if (answer.status === 200) latencies.push(performance.now() - started);
        else failures++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), ok: latencies.length, failures };
}

const rows = [];
for (const instances of [1, 2]) {
  const cluster = await startCluster({ instances });
  const unlimit = BFF_CPUS ? cluster.bffs.map((b) => limitCpu(b.pid, BFF_CPUS, `wxauth-bench-${b.port}`)) : [];
  try {
    await run(cluster.origin, 3); // warm-up: connections, JIT, the InnoDB buffer pool
    const pids = { bff: cluster.bffs.map((b) => b.pid), redis: [cluster.redis.pid], mariadb: [cluster.mariadb.pid] };
    const used = () =>
      Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, list.reduce((t, p) => t + cpuMs(p), 0)]));
    const before = used();
    const result = await run(cluster.origin, SECONDS);
    const after = used();
    const perLogin = (k) => (after[k] - before[k]) / result.ok;
    rows.push({
      instances,
      ...result,
      bffCpu: perLogin('bff'),
      redisCpu: perLogin('redis'),
      dbCpu: perLogin('mariadb'),
    });
    console.error(`${instances} instance(s): ${result.perSecond.toFixed(0)} logins/s`);
  } finally {
    await cluster.stop();
    for (const remove of unlimit) remove();
  }
}

console.log(
  `\n${cpus().length} CPU cores (${cpus()[0]?.model}), ${SECONDS} s per run, ${C} concurrent phones` +
    (BFF_CPUS ? `, each BFF limited to ${BFF_CPUS} CPU` : '') +
    '\n',
);
console.log('| BFF instances | logins/s | p50 ms | p99 ms | logins | failed | BFF CPU ms/login | Redis | MariaDB |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.instances} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.ok} | ${r.failures} | ` +
      `${r.bffCpu.toFixed(2)} | ${r.redisCpu.toFixed(2)} | ${r.dbCpu.toFixed(2)} |`,
  );
console.log(`\ntwo / one: ${(rows[1].perSecond / rows[0].perSecond).toFixed(2)}`);
