// The inventory provider on lab machines addressed as static hosts: facts recorded, a natbox
// rendered on one host, teardown leaving every host exactly as found (nft ruleset, namespaces,
// processes, files, ip_forward); one unreachable host of four degrades, three of four fail (the
// evaluation judges it), none reached fails provisioning.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../src/lab/index.js';
import type { NatType } from '../../../src/config/model.js';
import type { Plan } from '../../../src/plan/types.js';
import { InventoryProvider } from '../../../src/providers/inventory/provider.js';
import { INVENTORY_ROOT } from '../../../src/providers/inventory/scripts.js';
import { SshPool } from '../../../src/ssh/index.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping inventory tests: the hosts are lab machines (network namespaces, sshd)');

describe.skipIf(!isRoot)('inventory provider on lab machines as static hosts', () => {
  let lab: Lab;
  let work: string;
  const runId = `inv${process.pid % 10000}`;
  const provider = () => new InventoryProvider({ env: { VPS_TEST_SSH_KEY: lab.fleet.clientKeyPath }, connectTimeoutMs: 3000 });
  const sh = (ns: string, ...argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  /** What a host looks like from outside: its nft ruleset, ip_forward, namespaces, processes, our files. */
  const snapshot = () =>
    lab.topology.machines.map((m) => ({
      // traffic moves the lab's own evidence counters and dynamic sets: theirs, not ours
      nft: sh(m.machineNamespace, 'nft', 'list', 'ruleset').replace(/elements = \{[^}]*\}/g, 'elements = {...}').replace(/counter packets \d+ bytes \d+/g, 'counter'),
      forward: sh(m.machineNamespace, 'sysctl', '-n', 'net.ipv4.ip_forward'),
      links: sh(m.machineNamespace, 'ip', '-o', 'link').replace(/\s+link\/.*$/gm, ''),
      pids: execFileSync('ip', ['netns', 'pids', m.machineNamespace], { encoding: 'utf8' }).split('\n').filter(Boolean).length,
      netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('vpstest-')),
      files: existsSync(INVENTORY_ROOT),
    }));
  const plan = (nats: NatType[], hostOf: (i: number) => string = (i) => lab.fleet.nodes[i]?.publicIp as string): Plan =>
    ({
      provider: 'inventory',
      nodes: lab.fleet.nodes.map((n, i) => ({ name: `h${i}`, role: i === 0 ? 'bootstrap' : 'peer', nat: nats[i] ?? 'none', arch: n.arch, host: hostOf(i), port: 22, user: n.ssh.user, hostKey: n.ssh.hostKey })),
    }) as Plan;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vt-inventory-'));
    lab = await createLab({ runId, labRoot: join(work, 'lab'), nodes: [0, 1, 2, 3].map((i) => ({ name: `m${i}`, nat: 'none', role: 'peer' })) }, { handleSignals: false });
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('provisions four hosts (one natbox), records facts, and teardown leaves each host as found', async () => {
    const before = snapshot();
    const p = provider();
    const run = { runId: 'invrun1', runDir: join(work, 'run1'), log: () => undefined };
    const fleet = await p.provision(plan(['none', 'none', 'symmetric', 'none']), run);
    expect(fleet.nodes).toHaveLength(4);
    const nat = fleet.nodes[2]!;
    expect(sh(lab.topology.machines[2]!.machineNamespace, 'nft', 'list', 'ruleset')).toMatch(/masquerade random/);
    const pool = SshPool.forFleet(fleet);
    try {
      expect((await pool.exec(nat, 'ip route', { asNode: true })).stdout).toMatch(/default via 10\.201\.0\.1/);
      expect((await pool.exec(fleet.nodes[0]!, `test -d ${fleet.nodes[0]!.workdir} && echo yes`)).stdout.trim()).toBe('yes');
      // something the run started, as deploy would: it must be gone after teardown
      await pool.exec(nat, `nohup sleep 600 > ${nat.workdir}/sleep.log 2>&1 &`, { asNode: true });
    } finally {
      await pool.close();
    }
    expect(snapshot()).not.toEqual(before);
    await p.destroy(run);
    expect(snapshot()).toEqual(before);
  });

  it('one unreachable host of four: degraded, the other three provisioned and then removed', async () => {
    const before = snapshot();
    const p = provider();
    const run = { runId: 'invrun2', runDir: join(work, 'run2'), log: () => undefined };
    const unused = lab.topology.subnet.cidr.replace(/0\/24$/, '200');
    const fleet = await p.provision(plan(['none', 'none', 'port-restricted', 'none'], (i) => (i === 3 ? unused : (lab.fleet.nodes[i]?.publicIp as string))), run);
    expect(fleet.nodes.map((n) => n.name)).toEqual(['h0', 'h1', 'h2']);
    expect(p.unreachable.map((u) => u.name)).toEqual(['h3']);
    expect(fleet.unreachable?.map((u) => u.name)).toEqual(['h3']);
    await p.destroy(run);
    expect(snapshot()).toEqual(before);
  });

  it('three unreachable of four: fails naming them, the reachable one is left as found', async () => {
    const before = snapshot();
    const unused = (k: number) => lab.topology.subnet.cidr.replace(/0\/24$/, String(200 + k));
    const logs: string[] = [];
    const p = provider();
    const run = { runId: 'invrun3', runDir: join(work, 'run3'), log: (l: string) => logs.push(l) };
    // the evaluation fails the run (fewer than half healthy); provisioning hands over what answered
    const fleet = await p.provision(plan(['symmetric'], (i) => (i === 0 ? (lab.fleet.nodes[0]?.publicIp as string) : unused(i))), run);
    expect(fleet.nodes.map((n) => n.name)).toEqual(['h0']);
    expect(fleet.unreachable?.map((u) => u.name)).toEqual(['h1', 'h2', 'h3']);
    expect(logs.join('\n')).toMatch(/3 of 4 inventory hosts unreachable, fewer than half are healthy \(the run fails\): h1 .*h2 .*h3/);
    await p.destroy(run);
    expect(snapshot()).toEqual(before);
  });

  it('no host of four reached: provisioning fails naming them all and leaves nothing', async () => {
    const before = snapshot();
    const unused = (k: number) => lab.topology.subnet.cidr.replace(/0\/24$/, String(210 + k));
    const err = await provider()
      .provision(plan(['none'], unused), { runId: 'invrun4', runDir: join(work, 'run4'), log: () => undefined })
      .then(() => new Error('accepted'), (e: unknown) => e as Error);
    expect(err.message).toMatch(/all 4 inventory hosts unreachable: h0 .*h1 .*h2 .*h3/);
    expect(snapshot()).toEqual(before);
  });

  it('refuses a host without a pinned key (with the ssh-keyscan line) and a host whose key differs', async () => {
    const noKey = plan([]);
    delete noKey.nodes[1]!.hostKey;
    await expect(provider().check(noKey)).rejects.toThrow(new RegExp(`node "h1": no pinned host key.*ssh-keyscan -t ed25519 ${lab.fleet.nodes[1]!.publicIp.replace(/\./g, '\\.')}`));
    const wrong = plan([]);
    wrong.nodes[1]!.hostKey = lab.fleet.nodes[2]!.ssh.hostKey;
    await expect(provider().provision(wrong, { runId: 'invrun4', runDir: join(work, 'run4'), log: () => undefined })).rejects.toThrow(/h1.*host key|host key.*h1/i);
  });
});
