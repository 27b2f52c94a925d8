import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  OWNER_LABEL,
  RUN_LABEL,
  alive,
  here,
  hostAt,
  hostRoutes,
  isPrivate,
  toRemove,
  newRun,
  ownerOf,
  overlaps,
  unfit,
} from './runs.mjs';

describe('which leftovers a test:docker run removes', () => {
  const labels = (run, owner) => ({ [RUN_LABEL]: run, [OWNER_LABEL]: owner });
  const owners = { mine: 'm/1/100/5', live: 'm/1/200/6', dead: 'm/1/300/7', elsewhere: 'x/9/400/8' };
  const state = { [owners.mine]: true, [owners.live]: true, [owners.dead]: false, [owners.elsewhere]: undefined };
  const listed = [
    { kind: 'network', id: 'n-mine', labels: labels('mine', owners.mine) },
    { kind: 'container', id: 'c-mine', labels: labels('mine', owners.mine) },
    { kind: 'image', id: 'i-mine', labels: labels('mine', owners.mine) },
    { kind: 'volume', id: 'v-mine', labels: labels('mine', owners.mine) },
    { kind: 'container', id: 'c-live', labels: labels('live', owners.live) },
    { kind: 'network', id: 'n-live', labels: labels('live', owners.live) },
    { kind: 'network', id: 'n-dead', labels: labels('dead', owners.dead) },
    { kind: 'container', id: 'c-dead', labels: labels('dead', owners.dead) },
    // A compose container of the dead run that lost its owner label: the run's other resources name it.
    { kind: 'container', id: 'c-dead-2', labels: { [RUN_LABEL]: 'dead' } },
    { kind: 'container', id: 'c-elsewhere', labels: labels('elsewhere', owners.elsewhere) },
    { kind: 'container', id: 'c-no-owner', labels: { [RUN_LABEL]: 'orphan' } },
    // The label of the runs before: one of them may be running in another clone.
    { kind: 'container', id: 'c-old', labels: { 'org.wxauth.test': 'docker' } },
    { kind: 'container', id: 'c-other', labels: {} },
  ];

  it("takes its own and dead runs' only, containers first and networks last", () => {
    expect(toRemove(listed, 'mine', (owner) => state[owner]).map((r) => r.id)).toEqual([
      'c-mine',
      'c-dead',
      'c-dead-2',
      'i-mine',
      'v-mine',
      'n-mine',
      'n-dead',
    ]);
  });

  it("never another live run's, even with no run of its own yet", () => {
    expect(toRemove(listed, 'new', (owner) => state[owner]).map((r) => r.id)).toEqual(['c-dead', 'c-dead-2', 'n-dead']);
  });
});

describe('the owner of a run', () => {
  it('is this process while it runs, and gone once it has exited', async () => {
    expect(alive(newRun().labels[OWNER_LABEL])).toBe(true);
    const child = spawn('sleep', ['30']);
    await once(child, 'spawn');
    const owner = ownerOf(child.pid);
    expect(alive(owner)).toBe(true);
    child.kill();
    await once(child, 'exit');
    expect(alive(owner)).toBe(false);
  });

  it('cannot be told from another machine or PID namespace, nor from no label', () => {
    const [, pid, start] = /\/(\d+)\/([^/]+)$/.exec(ownerOf());
    expect(alive(`another-boot-id/${here().split('/')[1]}/${pid}/${start}`)).toBeUndefined();
    expect(alive(`${here().split('/')[0]}/1/${pid}/${start}`)).toBeUndefined();
    expect(alive(undefined)).toBeUndefined();
  });

  it('gives each run its own id and names', () => {
    const [a, b] = [newRun(), newRun()];
    expect(a.id).not.toBe(b.id);
    expect(a.prefix).toMatch(/^wxauth-test-[0-9a-f]{8}$/);
    expect(a.labels[RUN_LABEL]).toBe(a.id);
  });
});

describe('the subnet of a test network', () => {
  it('addresses in it, and overlaps', () => {
    expect([hostAt('172.18.0.0/16', 1), hostAt('172.18.0.0/16', 10), hostAt('10.7.3.0/24', 11)]).toEqual([
      '172.18.0.1',
      '172.18.0.10',
      '10.7.3.11',
    ]);
    expect(overlaps('172.18.0.0/16', '172.18.5.0/24')).toBe(true);
    expect(overlaps('172.18.0.0/16', '172.19.0.0/16')).toBe(false);
  });

  it('is private, and routed nowhere else on this machine', () => {
    const routes = hostRoutes(
      [
        'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
        'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
        'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
        'br-0123456789ab\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
        'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
        'tun0\t000014AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      ].join('\n'),
    );
    expect(routes).toEqual(['192.0.2.0/24', '172.20.0.0/16']);
    expect(unfit('172.19.0.0/16', routes)).toBeUndefined();
    expect(unfit('172.20.16.0/20', routes)).toMatch(/overlaps this machine's route to 172\.20\.0\.0\/16/);
    expect(unfit('100.64.0.0/16', routes)).toMatch(/not in a private range/);
    expect(unfit('', routes)).toMatch(/no IPv4 subnet/);
    expect([isPrivate('192.168.16.0/20'), isPrivate('172.32.0.0/16'), isPrivate('10.0.0.0/8')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});
