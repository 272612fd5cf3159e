// NAT behaviour beyond UDP and the four boxes: a TCP classifier of our own (mapping from two
// connections, filtering from who can reach the mapping), TCP simultaneous open (RFC 5382),
// hairpinning on and off (RFC 4787 REQ-9), sequential-port symmetric NAT, and trials that start
// from nothing after flushConntrack. Real netns, nftables, conntrack.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, flushConntrack, type Lab } from '../../../src/lab/lab.js';
import { remappedPort } from '../../../src/lab/recipes/nat.js';
import { expectNoLeaks, isRoot, Probe, runProbe, uniqueRunId, type ProbeEvent } from './helpers.js';

describe.skipIf(!isRoot)('NAT behaviour: TCP, hairpinning, sequential ports, trial independence', () => {
  const runId = uniqueRunId('natb');
  let tmp = '';
  let lab: Lab;
  const machine = (name: string) => lab.topology.machines.find((m) => m.node === name)!;
  const host = (name: string) => (machine(name).hostNamespace ?? machine(name).machineNamespace);
  const ip = (name: string) => machine(name).publicIps[0] as string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-natb-'));
    lab = await createLab({
      runId,
      labRoot: path.join(tmp, 'lab'),
      nodes: [
        { name: 'pub', nat: 'none', role: 'bootstrap' },
        { name: 'stranger', nat: 'none', role: 'peer' },
        { name: 'fc1', nat: 'full-cone', role: 'peer' },
        { name: 'fc2', nat: 'full-cone', role: 'peer' },
        { name: 'ar', nat: 'address-restricted', role: 'peer' },
        { name: 'pr1', nat: 'port-restricted', role: 'peer' },
        { name: 'pr2', nat: 'port-restricted', role: 'peer' },
        { name: 'sym1', nat: 'symmetric', role: 'peer' },
        { name: 'sym2', nat: 'symmetric', role: 'peer' },
        { name: 'seq', nat: 'symmetric-sequential', role: 'peer' },
        { name: 'nohp', nat: 'full-cone', role: 'peer', hairpin: false },
        { name: 'prr', nat: 'port-restricted-remapped', role: 'peer' },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await expectNoLeaks(runId, [runId]);
  }, 60_000);

  /** TCP classifier: mapped ports of two connections from one local port, and who reaches the mapping. */
  async function classifyTcp(name: string, k: number) {
    const [portA, portB, local] = [47_000 + 10 * k, 47_001 + 10 * k, 48_000 + k];
    const logA = Probe.node(host('pub'), 'tcp-log', portA, 15_000);
    const logB = Probe.node(host('pub'), 'tcp-log', portB, 15_000);
    await Promise.all([logA.waitFor((e) => e.event === 'ready'), logB.waitFor((e) => e.event === 'ready')]);
    await runProbe(host(name), 'tcp-connect', ip('pub'), portB, 2000, local);
    const firstB = await logB.waitFor((e) => e.event === 'accepted');
    await new Promise((r) => setTimeout(r, 300)); // the server closed first: the local port is free again
    const hold = Probe.node(host(name), 'tcp-hold', ip('pub'), portA, local, 8000);
    const firstA = await logA.waitFor((e) => e.event === 'accepted');
    const mappedA = Number(String(firstA.from).split(':')[1]);
    const mappedB = Number(String(firstB.from).split(':')[1]);
    // RST from the host (refused) = the NAT let the SYN through; silence = the NAT dropped it
    const reach = async (from: string, localPort?: number) => {
      const [event] = await runProbe(host(from), 'tcp-connect', ip(name), mappedA, 1500, ...(localPort ? [localPort] : []));
      return /ECONNREFUSED/.test(String(event?.why));
    };
    const stranger = await reach('stranger');
    const samePeerOtherPort = await reach('pub', 49_000 + k);
    hold.kill();
    logA.kill();
    logB.kill();
    return { mapping: mappedA === mappedB ? 'endpoint-independent' : 'address-and-port-dependent', stranger, samePeerOtherPort, mappedA, mappedB };
  }

  it('TCP: the cones are endpoint-independent (mapping and filtering as for UDP), port-restricted and symmetric filter', async () => {
    const names = ['fc1', 'ar', 'pr1', 'sym1', 'prr'];
    const results = Object.fromEntries(await Promise.all(names.map(async (n, k) => [n, await classifyTcp(n, k)] as const)));
    const summary = Object.fromEntries(Object.entries(results).map(([n, r]) => [n, { mapping: r.mapping, stranger: r.stranger, samePeerOtherPort: r.samePeerOtherPort }]));
    expect(summary).toEqual({
      fc1: { mapping: 'endpoint-independent', stranger: true, samePeerOtherPort: true },
      ar: { mapping: 'endpoint-independent', stranger: false, samePeerOtherPort: true },
      pr1: { mapping: 'endpoint-independent', stranger: false, samePeerOtherPort: false },
      sym1: { mapping: 'address-and-port-dependent', stranger: false, samePeerOtherPort: false },
      prr: { mapping: 'endpoint-independent', stranger: false, samePeerOtherPort: false },
    });
    // port preservation: the same port outside where it is kept, another one where it is not
    expect(results.pr1?.mappedA).toBe(48_002);
    expect(results.prr?.mappedA).toBe(remappedPort(48_004));
  }, 60_000);

  it('sequential-port symmetric: a new port per destination, each the next one (random symmetric: not)', async () => {
    const mapped = async (name: string, base: number) => {
      const ports: number[] = [];
      for (let i = 0; i < 4; i++) {
        const listen = Probe.node(host('pub'), 'udp-listen', base + i, 1500);
        await listen.waitFor((e) => e.event === 'ready');
        await runProbe(host(name), 'udp-send', ip('pub'), base + i, 2, 300, 45_900);
        const got = await listen.waitFor((e) => e.event === 'recv');
        ports.push(Number(String(got.from).split(':')[1]));
        listen.kill();
      }
      return ports;
    };
    const seq = await mapped('seq', 46_100);
    const steps = seq.slice(1).map((p, i) => p - (seq[i] as number));
    expect(steps, `mapped ports ${seq.join(', ')}`).toEqual([1, 1, 1]);
    const random = await mapped('sym2', 46_200);
    expect(random.slice(1).map((p, i) => p - (random[i] as number)), `mapped ports ${random.join(', ')}`).not.toEqual([1, 1, 1]);
  }, 40_000);

  async function simultaneousOpen(a: string, b: string, base: number, delayB = 0): Promise<[ProbeEvent, ProbeEvent]> {
    const pa = Probe.node(host(a), 'tcp-simopen', ip(b), base + 1, base, 8000);
    if (delayB) await new Promise((r) => setTimeout(r, delayB));
    const pb = Probe.node(host(b), 'tcp-simopen', ip(a), base, base + 1, 8000 - delayB);
    const [ea, eb] = await Promise.all([pa.waitFor((e) => e.event === 'simopen', 12_000), pb.waitFor((e) => e.event === 'simopen', 12_000)]);
    return [ea, eb];
  }

  it('TCP simultaneous open: through two full-cone NATs it connects, each side seeing the other’s public address', async () => {
    const [a, b] = await simultaneousOpen('fc1', 'fc2', 45_010);
    expect(a).toMatchObject({ ok: true, remote: `${ip('fc2')}:45011` });
    expect(b).toMatchObject({ ok: true, remote: `${ip('fc1')}:45010` });
  }, 20_000);

  it('TCP simultaneous open through two port-restricted NATs (RFC 5382): the early SYN is dropped silently, never reset, and the crossing SYNs connect', async () => {
    const [a, b] = await simultaneousOpen('pr1', 'pr2', 45_020, 1500);
    expect(a).toMatchObject({ ok: true, remote: `${ip('pr2')}:45021` });
    expect(b).toMatchObject({ ok: true, remote: `${ip('pr1')}:45020` });
    expect(a.errors as string[]).not.toContain('ECONNREFUSED'); // REQ-4: no RST for an unsolicited SYN
  }, 20_000);

  it('TCP simultaneous open between two symmetric NATs fails (the ports each side aims at do not exist)', async () => {
    const [a, b] = await simultaneousOpen('sym1', 'sym2', 45_030);
    expect(a.ok).toBe(false);
    expect(b.ok).toBe(false);
  }, 20_000);

  async function hairpin(name: string, base: number): Promise<string[]> {
    const echo = Probe.node(host('pub'), 'udp-listen', base, 3000, 'echo');
    await echo.waitFor((e) => e.event === 'ready');
    const b = Probe.node(host(name), 'udp-send', ip('pub'), base, 50, 2500, base + 1); // opens its mapping
    await b.waitFor((e) => e.event === 'reply');
    await runProbe(host(name), 'udp-send', ip(name), base + 1, 20, 600, base + 2); // to its own public mapping
    await b.exited;
    echo.kill();
    return [...new Set(b.events.filter((e) => e.event === 'reply').map((e) => String(e.from)))].sort();
  }

  it('hairpinning: on by default (the node reaches its own public mapping and sees its other mapping as the source), off when asked', async () => {
    expect(await hairpin('fc1', 46_300)).toEqual([`${ip('fc1')}:46302`, `${ip('pub')}:46300`].sort());
    expect(await hairpin('pr1', 46_310)).toEqual([`${ip('pr1')}:46312`, `${ip('pub')}:46310`].sort());
    expect(await hairpin('nohp', 46_320)).toEqual([`${ip('pub')}:46320`]);
  }, 30_000);

  it('a trial after flushConntrack starts from nothing: the previous trial’s cone mapping no longer admits a stranger', async () => {
    const admitted = async (base: number) => {
      const echo = Probe.node(host('pub'), 'udp-listen', base, 2500, 'echo');
      await echo.waitFor((e) => e.event === 'ready');
      const b = Probe.node(host('fc2'), 'udp-send', ip('pub'), base, 1, 2000, base + 1);
      await b.waitFor((e) => e.event === 'reply'); // the mapping exists now
      return { b, echo };
    };
    const first = await admitted(46_400);
    await runProbe(host('stranger'), 'udp-send', ip('fc2'), 46_401, 10, 400);
    await first.b.exited;
    first.echo.kill();
    expect(first.b.events.some((e) => e.event === 'reply' && String(e.from).startsWith(`${ip('stranger')}:`))).toBe(true);

    // the next trial: same ports, after the flush, the host has not sent anything yet
    await flushConntrack(lab.fleet);
    const listen = Probe.node(host('fc2'), 'udp-listen', 46_401, 1500);
    await listen.waitFor((e) => e.event === 'ready');
    await runProbe(host('stranger'), 'udp-send', ip('fc2'), 46_401, 10, 400);
    await listen.exited;
    expect(listen.events.filter((e) => e.event === 'recv')).toEqual([]);
  }, 30_000);
});
