// Lab lifecycle for real: refusing impossible impairments, concurrent labs, failures and Ctrl-C
// in the middle of creation, and the local provider. Every case ends with a leak check.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, systemExec, type Exec } from '../../../src/lab/exec.js';
import { createLab, destroyLab, listLabs } from '../../../src/lab/lab.js';
import { labNamespacesByRun } from '../../../src/lab/namespaces.js';
import { hasNetem } from '../../../src/lab/netem.js';
import type { Plan } from '../../../src/plan/types.js';
import { LocalProvider, readFleet } from '../../../src/providers/local.js';
import { expectNoLeaks, isRoot, Probe, REPO_ROOT, runProbe, uniqueRunId } from './helpers.js';

if (!isRoot) console.log('skipping lab lifecycle tests: they need root (network namespaces, nftables, sshd)');

describe.skipIf(!isRoot)('lab lifecycle (real netns, sshd)', () => {
  let tmp = '';
  const runIds: string[] = [];
  const newRun = (tag: string) => {
    const id = uniqueRunId(tag);
    runIds.push(id);
    return id;
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-lifecycle-'));
  });
  afterAll(async () => {
    for (const id of runIds) await destroyLab(id).catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('delay: real, through netem or else the lab’s packet delayer (jitter too: lab-internet.test.ts)', async () => {
    const runId = newRun('itd');
    const spec = {
      runId,
      labRoot: path.join(tmp, runId),
      nodes: [
        { name: 'far', nat: 'none' as const, role: 'peer' as const, impair: { delayMs: 60 } },
        { name: 'near', nat: 'none' as const, role: 'peer' as const },
      ],
    };
    const netem = await hasNetem(systemExec);
    // the delay must be real either way: far's packets wait 60 ms, so the round trip is >= 60 ms
    const lab = await createLab(spec);
    const [far, near] = lab.topology.machines;
    const echo = Probe.node(far?.machineNamespace as string, 'udp-listen', 7200, 20_000, 'echo');
    await echo.waitFor((e) => e.event === 'ready');
    const events = await runProbe(near?.machineNamespace as string, 'udp-rtt', far?.publicIps[0] as string, 7200, 11);
    echo.kill();
    const rtts = (events.find((e) => e.event === 'rtt')?.rtts as number[]) ?? [];
    expect(rtts).toHaveLength(11);
    const median = [...rtts].sort((a, b) => a - b)[5] as number;
    console.log(`impair delay 60 ms (${netem ? 'netem' : 'packet delayer'}): median round trip ${median.toFixed(1)} ms`);
    expect(median).toBeGreaterThan(55);
    expect(median).toBeLessThan(80);
    await lab.destroy();
    await expectNoLeaks(runId, [spec.labRoot]);
  }, 60_000);

  it('concurrent labs get their own subnets and internets; a second lab of the same run is refused', async () => {
    const [idA, idB] = [newRun('itca'), newRun('itcb')];
    const make = (runId: string) =>
      createLab({ runId, labRoot: path.join(tmp, runId), nodes: [{ name: 'solo', nat: 'none', role: 'peer' }] });
    const [a, b] = await Promise.all([make(idA), make(idB)]);
    expect(a.topology.subnet.index).not.toBe(b.topology.subnet.index);
    const nsA = a.topology.machines[0]?.machineNamespace as string;
    // b's node is unreachable from a's internet; the controller reaches both
    const across = await runProbe(nsA, 'tcp-connect', b.fleet.nodes[0]?.publicIp as string, 22, 1000);
    expect(across[0]).toMatchObject({ ok: false });
    await expect(make(idA)).rejects.toThrow(/already exists/);
    expect((await labNamespacesByRun(systemExec)).get(idA)?.length).toBe(2); // the refused attempt removed nothing
    await Promise.all([a.destroy(), b.destroy()]);
    await expectNoLeaks(idA, [a.labRoot]);
    await expectNoLeaks(idB, [b.labRoot]);
  }, 30_000);

  it('a failing command names itself and the node, and everything made so far is removed', async () => {
    const runId = newRun('itf');
    const labRoot = path.join(tmp, runId);
    const exec: Exec = async (argv, options) => {
      if (argv.includes('nft') && argv.some((a) => a.includes('-r1.b'))) throw new CommandError(argv, 1, 'injected failure');
      return systemExec(argv, options);
    };
    const creating = createLab(
      { runId, labRoot, nodes: [{ name: 'a', nat: 'none', role: 'peer' }, { name: 'b', nat: 'symmetric', role: 'peer' }] },
      { exec },
    );
    await expect(creating).rejects.toThrow(/node "b": `ip netns exec vt\S+-r1\.b nft -f -` failed \(exit 1\): injected failure/);
    await expectNoLeaks(runId, [labRoot]);
  }, 30_000);

  it('SIGINT in the middle of createLab (another process) removes everything and exits by the signal', async () => {
    const runId = newRun('its');
    const labRoot = path.join(tmp, runId);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/integration/lab/interrupted-create.mts'), runId, labRoot], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 20_000;
    while (!output.includes('PAUSED')) {
      if (Date.now() > deadline) throw new Error(`child never reached the pause: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // mid-creation for real: its namespaces exist and one sshd already runs
    const namespaces = (await labNamespacesByRun(systemExec)).get(runId) ?? [];
    expect(namespaces.length).toBe(6);
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect({ code, signal }, output).toEqual({ code: null, signal: 'SIGINT' });
    expect(output).toContain('interrupted (SIGINT): removing what was created');
    expect(output).not.toContain('CREATED');
    await expectNoLeaks(runId, [labRoot]);
  }, 40_000);

  it('LocalProvider provisions from a plan, records fleet.json without key material, lists and destroys', async () => {
    const runId = newRun('itp');
    const runDir = path.join(tmp, runId);
    const lines: string[] = [];
    const run = { runId, runDir, log: (l: string) => lines.push(l) };
    const plan = {
      provider: 'local',
      nodes: [
        { name: 'boot', role: 'bootstrap', nat: 'none', arch: 'x86_64' },
        { name: 'natted', role: 'peer', nat: 'full-cone', arch: 'x86_64', impair: { rateKbit: 5000 } },
      ],
    } as unknown as Plan;
    const provider = new LocalProvider();
    const fleet = await provider.provision(plan, run);
    expect(fleet.nodes.map((n) => [n.name, n.nat])).toEqual([['boot', 'none'], ['natted', 'full-cone']]);
    expect(lines.some((l) => l.includes('ready in'))).toBe(true);
    const recorded = await readFleet(runDir);
    expect(recorded).toEqual(fleet);
    const text = await readFile(path.join(runDir, 'fleet.json'), 'utf8');
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(recorded.clientKeyPath).toBe(path.join(runDir, 'lab', 'keys', 'client'));
    expect((await readFile(recorded.clientKeyPath, 'utf8')).startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')).toBe(true);
    expect((await provider.list({ runId })).map((r) => [r.runId, r.provider, r.resources.length])).toEqual([[runId, 'local', 4]]);
    await provider.destroy(run);
    await provider.destroy(run); // idempotent
    expect(await provider.list({ runId })).toEqual([]);
    expect((await listLabs()).some((l) => l.runId === runId)).toBe(false);
    await expectNoLeaks(runId, [runDir]);
  }, 30_000);
});
