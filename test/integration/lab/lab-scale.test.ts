// A 48-node lab (1 bootstrap, the rest over the five NAT kinds): every machine exchanges UDP
// with every other exactly where the NAT oracle says a punch works, and the lab holds no
// dynamic neighbour entry anywhere (nothing of the machine-wide ARP table is used, so a big lab
// cannot overflow it for itself or for another lab on the host).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemExec } from '../../../src/lab/exec.js';
import { createLab, type Lab } from '../../../src/lab/lab.js';
import { expectedPath } from '../../../src/results/oracle.js';
import { expectNoLeaks, isRoot, Probe, uniqueRunId } from './helpers.js';
import { scaleNodes } from './scale-nodes.js';

/** Lines of `ip neigh` in a namespace that are not permanent (dynamic entries the shared table pays for). */
async function dynamicNeighbours(ns: string): Promise<string[]> {
  const lines: string[] = [];
  for (const family of ['-4', '-6']) {
    const out = (await systemExec(['ip', '-n', ns, family, 'neigh', 'show'])).stdout;
    lines.push(...out.split('\n').filter((l) => l.trim() !== '' && !/PERMANENT/.test(l)).map((l) => `${ns}: ${l}`));
  }
  return lines;
}

describe.skipIf(!isRoot)('lab at scale: 48 nodes (real netns, nftables, sshd)', () => {
  const runId = uniqueRunId('scl');
  let tmp = '';
  let lab: Lab | undefined;

  afterAll(async () => {
    await lab?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await expectNoLeaks(runId, [runId]);
  }, 120_000);

  it('every pair exchanges UDP as the NAT oracle says, with no dynamic neighbour entry in the lab', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-scale-'));
    const started = Date.now();
    lab = await createLab({ runId, labRoot: path.join(tmp, 'lab'), nodes: scaleNodes(48) }, { sshTimeoutMs: 60_000 });
    console.log(`48-node lab provisioned in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const nodes = lab.fleet.nodes;
    expect(nodes).toHaveLength(48);

    const port = 40000;
    const go = path.join(tmp, 'go');
    const probes = nodes.map((n) => {
      const ns = n.execPrefix.length > 0 ? (n.execPrefix.at(-1) as string) : (n.resources[0] as string);
      const peers = nodes.filter((p) => p !== n).map((p) => p.publicIp);
      return { node: n, probe: Probe.node(ns, 'udp-mesh', n.name, port, go, 6000, ...peers) };
    });
    try {
      await Promise.all(probes.map((p) => p.probe.waitFor((e) => e.event === 'ready', 90_000)));
      await writeFile(go, ''); // everyone sends at once, like a punch
      const meshes = await Promise.all(probes.map((p) => p.probe.waitFor((e) => e.event === 'mesh', 30_000)));
      const heard = new Map(probes.map((p, i) => [p.node.name, new Set(meshes[i]?.heard as string[])]));
      const wrong: string[] = [];
      let exchanged = 0;
      for (const a of nodes) {
        for (const b of nodes) {
          if (a === b) continue;
          const punches = expectedPath(a.nat, b.nat) !== 'relay';
          const both = Boolean(heard.get(a.name)?.has(b.name) && heard.get(b.name)?.has(a.name));
          if (both) exchanged++;
          if (both !== punches) wrong.push(`${a.name} (${a.nat}) <-> ${b.name} (${b.nat}): ${both ? 'exchanged' : 'no exchange'}, oracle says ${expectedPath(a.nat, b.nat)}`);
        }
      }
      expect(wrong.slice(0, 20), `${wrong.length} of ${48 * 47} ordered pairs differ from the oracle`).toEqual([]);
      console.log(`${exchanged} of ${48 * 47} ordered pairs exchanged UDP (the rest need a relay)`);
    } finally {
      for (const p of probes) p.probe.kill();
    }

    const namespaces = [lab.topology.inetNamespace, ...lab.topology.machines.flatMap((m) => m.namespaces)];
    const dynamic = (await Promise.all(namespaces.map(dynamicNeighbours))).flat();
    expect(dynamic, 'neighbour entries the kernel had to resolve (and count against gc_thresh3)').toEqual([]);
    const permanent = (await systemExec(['ip', '-n', lab.topology.inetNamespace, 'neigh', 'show', 'nud', 'permanent'])).stdout.trim().split('\n');
    expect(permanent).toHaveLength(48 + 1); // every machine and the controller, written at provision time
  }, 300_000);
});
