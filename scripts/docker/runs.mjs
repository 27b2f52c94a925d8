// What one run of pnpm test:docker owns on a Docker daemon that others may share (a second clone, CI):
// its id, the labels on everything it makes, and which leftovers a run may remove. A run removes its own
// and those of runs on this machine whose process is gone; never another live run's, nor any it cannot
// tell is dead (made from another machine or another PID namespace, or with no owner label).
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export const RUN_LABEL = 'org.wxauth.test.run';
export const OWNER_LABEL = 'org.wxauth.test.owner';

const tryRead = (read) => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

/** The machine and PID namespace this process sees: owners from elsewhere cannot be checked from here. */
export function here() {
  const boot = tryRead(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  const pidns = tryRead(() => /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0]);
  return `${boot ?? `host-${hostname()}`}/${pidns ?? '-'}`;
}

/** When a process started (clock ticks since boot), so a reused PID is not taken for the run's. */
function startOf(pid) {
  const stat = tryRead(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // Fields after the command name (which may hold spaces), from the third on; the start time is the 22nd.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** The owner label's value for a process: where it runs, its PID and when it started. */
export function ownerOf(pid = process.pid) {
  return `${here()}/${pid}/${startOf(pid) ?? '-'}`;
}

/** Whether the process an owner label names still runs; undefined when it cannot be told from here. */
export function alive(owner, where = here()) {
  const at = owner?.lastIndexOf('/', owner.lastIndexOf('/') - 1) ?? -1;
  if (at < 0 || owner.slice(0, at) !== where) return undefined;
  const [pid, start] = owner.slice(at + 1).split('/');
  if (start !== '-') return startOf(pid) === start;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** A new run: its id, the prefix of its names, and the labels everything it makes carries. */
export function newRun() {
  const id = randomBytes(4).toString('hex');
  return { id, prefix: `wxauth-test-${id}`, labels: { [RUN_LABEL]: id, [OWNER_LABEL]: ownerOf() } };
}

const ORDER = ['container', 'image', 'volume', 'network'];

/**
 * What to remove of the labelled resources listed ({ kind, id, labels }): the run's own, and those of runs
 * whose owner is known to be gone. Containers first, as they hold the rest; networks last.
 */
export function toRemove(resources, runId, isAlive = alive) {
  const owners = new Map();
  for (const { labels } of resources)
    if (labels?.[RUN_LABEL] && labels[OWNER_LABEL]) owners.set(labels[RUN_LABEL], labels[OWNER_LABEL]);
  const gone = (run) => run === runId || (owners.has(run) && isAlive(owners.get(run)) === false);
  return resources
    .filter((r) => r.labels?.[RUN_LABEL] && gone(r.labels[RUN_LABEL]))
    .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

// ------------------------------------------------------------------------------------------ subnets

const toInt = (ip) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const toIp = (n) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

function parse(cidr) {
  const [ip, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(ip) / size) * size;
  return { start, end: start + size };
}

/** The n-th address of a subnet (1: Docker's gateway). */
export const hostAt = (cidr, n) => toIp(parse(cidr).start + n);

export function overlaps(a, b) {
  const [x, y] = [parse(a), parse(b)];
  return x.start < y.end && y.start < x.end;
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
/** Inside one of RFC 1918's private ranges. */
export const isPrivate = (cidr) =>
  PRIVATE.some((range) => parse(range).start <= parse(cidr).start && parse(cidr).end <= parse(range).end);

/**
 * This machine's IPv4 routes (/proc/net/route's text) as CIDRs, leaving out the default route and Docker's
 * own bridges (docker0, br-…), whose subnets Docker itself keeps apart.
 */
export function hostRoutes(text) {
  const le = (hex) => toIp(Number.parseInt(hex.match(/../g).reverse().join(''), 16));
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/))
    .filter(([iface, , , , , , , mask]) => mask !== '00000000' && !/^(docker0|br-[0-9a-f]{12})$/.test(iface))
    .map(([, destination, , , , , , mask]) => {
      const bits = [...BigInt(`0x${mask}`).toString(2)].filter((b) => b === '1').length;
      return `${le(destination)}/${bits}`;
    });
}

/** Why a subnet Docker picked will not do for a test network here, or undefined when it will. */
export function unfit(subnet, routes) {
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(subnet ?? '')) return `no IPv4 subnet (${subnet})`;
  if (!isPrivate(subnet)) return `${subnet} is not in a private range (10/8, 172.16/12, 192.168/16)`;
  const route = routes.find((r) => overlaps(r, subnet));
  return route ? `${subnet} overlaps this machine's route to ${route}` : undefined;
}
