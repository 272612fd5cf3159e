// A node behind two NATs (a home router behind a carrier-grade NAT), for real: coturn's RFC 5780
// classifier run from the inner host sees the composed behaviour written out here by hand, the
// oracle's composition (natSeenFromOutside) agrees with what was measured, TCP composes the
// same way (our own TCP probe), the host leaves with
// the carrier's public address, and the between-trials flush empties both routers. Real netns,
// nftables, conntrack, coturn.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatType } from '../../../src/config/model.js';
import { createLab, flushConntrack, type Lab } from '../../../src/lab/lab.js';
import { RoundSessions } from '../../../src/lab/round-sessions.js';
import { natSeenFromOutside } from '../../../src/results/oracle.js';
import { expectNoLeaks, inNs, isRoot, parseNatDiscovery, Probe, runProbe, uniqueRunId } from './helpers.js';

const EI = 'Endpoint Independent';
const AD = 'Address Dependent';
const APD = 'Address and Port Dependent';

/** natdiscovery's verdict for one NAT of a type alone (the lab-network test measures these). */
const ALONE: Partial<Record<NatType, { mapping: string; filtering: string }>> = {
  'full-cone': { mapping: EI, filtering: EI },
  'address-restricted': { mapping: EI, filtering: AD },
  'port-restricted': { mapping: EI, filtering: APD },
  symmetric: { mapping: APD, filtering: APD },
};

/** Each node: its own NAT, the carrier NAT it sits behind, and what natdiscovery must see (by hand). */
const DOUBLE = {
  fcfc: { nat: 'full-cone', behind: 'full-cone', seen: { mapping: EI, filtering: EI } },
  fcar: { nat: 'full-cone', behind: 'address-restricted', seen: { mapping: EI, filtering: AD } },
  arpr: { nat: 'address-restricted', behind: 'port-restricted', seen: { mapping: EI, filtering: APD } },
  prseq: { nat: 'port-restricted', behind: 'symmetric-sequential', seen: { mapping: APD, filtering: APD } },
  symfc: { nat: 'symmetric', behind: 'full-cone', seen: { mapping: APD, filtering: APD } },
} as const;

/** Elements in a full-cone router's cone map. */
async function mapSize(ns: string): Promise<number> {
  const out = (await inNs(ns, ['nft', '-j', 'list', 'map', 'ip', 'vtnat', 'fullcone'])).stdout;
  return JSON.stringify(JSON.parse(out)).match(/"elem"/g)?.length ?? 0;
}

describe.skipIf(!isRoot)('double NAT: a node behind its own router behind a carrier NAT (real netns, nftables, coturn)', () => {
  const runId = uniqueRunId('dnat');
  let tmp = '';
  let lab: Lab;
  let turn: ChildProcess | undefined;
  const progress: string[] = [];
  const machine = (name: string) => lab.topology.machines.find((m) => m.node === name)!;
  const host = (name: string) => machine(name).hostNamespace ?? machine(name).machineNamespace;
  const ip = (name: string) => machine(name).publicIps[0] as string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-dnat-'));
    lab = await createLab(
      {
        runId,
        labRoot: path.join(tmp, 'lab'),
        nodes: [
          { name: 'stun', nat: 'none', role: 'bootstrap', publicAddresses: 2 },
          { name: 'pub', nat: 'none', role: 'peer' },
          ...Object.entries(DOUBLE).map(([name, d]) => ({ name, nat: d.nat, behind: d.behind, role: 'peer' as const })),
        ],
      },
      { onProgress: (line) => progress.push(line) },
    );
    // coturn as an RFC 5780 STUN server on the stun node's two addresses (as in lab-network.test.ts)
    const conf = path.join(tmp, 'turnserver.conf');
    await writeFile(conf, '');
    const [ip1, ip2] = machine('stun').publicIps as [string, string];
    turn = spawn('ip', ['netns', 'exec', machine('stun').machineNamespace, 'turnserver', '-c', conf, '-L', ip1, '-L', ip2,
      '--stun-only', '--no-auth', '--no-tls', '--no-dtls', '--no-cli', '--pidfile', path.join(tmp, 'turn.pid'),
      '--log-file', path.join(tmp, 'turn.log'), '--simple-log', '--no-stdout-log'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ss = (await inNs(machine('stun').machineNamespace, ['ss', '-Hulpn'])).stdout;
      if ([`${ip1}:3478`, `${ip2}:3478`, `${ip1}:3479`, `${ip2}:3479`].every((a) => ss.includes(a))) break;
      if (Date.now() > deadline) throw new Error(`turnserver did not bind its four sockets: ${ss}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 90_000);

  afterAll(async () => {
    turn?.kill('SIGKILL');
    await lab?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await expectNoLeaks(runId, [runId]);
  }, 60_000);

  it('builds three namespaces per node: the carrier router (public side, sshd), the home router on the carrier LAN, the host', () => {
    const m = machine('prseq');
    expect(m.namespaces).toEqual([m.machineNamespace, m.homeRouterNamespace, m.hostNamespace]);
    expect(m.carrierLan).toMatchObject({ routerIp: expect.stringMatching(/^100\.64\.\d+\.1$/), hostIp: expect.stringMatching(/^100\.64\.\d+\.2$/) });
    const node = lab.fleet.nodes.find((n) => n.name === 'prseq')!;
    expect(node.routerNamespace).toBe(m.homeRouterNamespace); // the node's own NAT: evidence, partitions
    expect(node.carrierRouter).toEqual({ namespace: m.machineNamespace, nat: 'symmetric-sequential' });
    expect(node.ssh.host).toBe(ip('prseq'));
    expect(progress.some((l) => l.includes('prseq: port-restricted NAT behind a symmetric-sequential NAT: carrier'))).toBe(true);
  });

  it('natdiscovery from the inner host sees the composed behaviour, and the oracle’s composition agrees', async () => {
    const names = Object.keys(DOUBLE) as (keyof typeof DOUBLE)[];
    const measured = Object.fromEntries(
      await Promise.all(
        names.map(async (name) => {
          const out = await inNs(host(name), ['turnutils_natdiscovery', '-m', '-f', machine('stun').publicIps[0] as string], true);
          return [name, parseNatDiscovery(out.stdout + out.stderr)] as const;
        }),
      ),
    );
    expect(measured).toEqual(Object.fromEntries(names.map((n) => [n, DOUBLE[n].seen])));
    for (const n of names) {
      const composed = natSeenFromOutside(DOUBLE[n].nat, DOUBLE[n].behind);
      expect(ALONE[composed === 'symmetric-sequential' ? 'symmetric' : composed === 'port-restricted-remapped' ? 'port-restricted' : composed], `${n}: oracle says ${composed}`).toEqual(measured[n]);
    }
  }, 60_000);

  // The TCP classifier of nat-behaviour.test.ts, through two NATs: the mapped ports of two
  // connections from one local port, and whether another machine reaches the mapping.
  async function classifyTcp(name: string, k: number) {
    const [portA, portB, local] = [47_700 + 10 * k, 47_701 + 10 * k, 48_700 + k];
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
    // RST from the host (refused) = both NATs let the SYN through; silence = one dropped it
    const [event] = await runProbe(host('stun'), 'tcp-connect', ip(name), mappedA, 1500);
    hold.kill();
    logA.kill();
    logB.kill();
    return { mapping: mappedA === mappedB ? EI : APD, strangerReaches: /ECONNREFUSED/.test(String(event?.why)) };
  }

  it('TCP through two NATs composes like UDP: endpoint-independent only if both are, filtered by the stricter', async () => {
    const names = ['fcfc', 'fcar', 'prseq'] as const;
    const results = Object.fromEntries(await Promise.all(names.map(async (n, k) => [n, await classifyTcp(n, k)] as const)));
    expect(results).toEqual({
      fcfc: { mapping: EI, strangerReaches: true },
      fcar: { mapping: EI, strangerReaches: false },
      prseq: { mapping: APD, strangerReaches: false },
    });
  }, 40_000);

  it('the host leaves with the carrier’s public address; an echo comes back through both NATs', async () => {
    const echo = Probe.node(host('pub'), 'udp-listen', 47_500, 3000, 'echo');
    await echo.waitFor((e) => e.event === 'ready');
    const sender = Probe.node(host('arpr'), 'udp-send', ip('pub'), 47_500, 3, 1000, 47_501);
    const got = await echo.waitFor((e) => e.event === 'recv');
    await sender.exited;
    echo.kill();
    expect(String(got.from)).toBe(`${ip('arpr')}:47501`); // both NATs preserve the port when free
    expect(sender.events.some((e) => e.event === 'reply' && e.from === `${ip('pub')}:47500`)).toBe(true);
  }, 20_000);

  it('flushConntrack empties both routers: the cone maps of the home and the carrier NAT, and both connection tables', async () => {
    const m = machine('fcfc');
    await runProbe(host('fcfc'), 'udp-send', ip('pub'), 47_600, 2, 300, 47_601);
    expect(await mapSize(m.homeRouterNamespace!)).toBeGreaterThan(0);
    expect(await mapSize(m.machineNamespace)).toBeGreaterThan(0);
    await flushConntrack(lab.fleet);
    expect(await mapSize(m.homeRouterNamespace!)).toBe(0);
    expect(await mapSize(m.machineNamespace)).toBe(0);
    for (const ns of [m.homeRouterNamespace!, m.machineNamespace]) {
      expect((await inNs(ns, ['conntrack', '-L'], true)).stdout.trim(), ns).toBe('');
    }
  }, 20_000);

  it('the test stage\'s between-rounds flush (RoundSessions) empties the carrier NAT too', async () => {
    const m = machine('fcfc');
    await runProbe(host('fcfc'), 'udp-send', ip('pub'), 47_610, 2, 300, 47_611);
    expect(await mapSize(m.machineNamespace)).toBeGreaterThan(0);
    const sessions = new RoundSessions(lab.fleet);
    try {
      await sessions.flushNat();
    } finally {
      sessions.close();
    }
    for (const ns of [m.homeRouterNamespace!, m.machineNamespace]) {
      expect(await mapSize(ns), ns).toBe(0);
      expect((await inNs(ns, ['conntrack', '-L'], true)).stdout.trim(), ns).toBe('');
    }
  }, 20_000);
});
