// up / nodes / diagnose / down as a user runs them, on a real lab; and Ctrl-C in the middle of up.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerVeth } from '../../src/lab/names.js';
import { readFleet } from '../../src/providers/fleet-file.js';
import { SshPool } from '../../src/ssh/index.js';
import type { FleetNode } from '../../src/fleet/types.js';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli, runDist, startCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping fleet command tests: they need root (network namespaces, nftables, sshd)');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-fleet-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function links(): string {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
}

function expectRunGone(cwd: string, runId: string): void {
  expect(namespacesOf(runId)).toEqual([]);
  expect(links()).not.toContain(controllerVeth(runId));
  expect(processesMentioning(join(cwd, '.vps-test', 'runs', runId))).toEqual([]);
}

const CONFIG = `project: fleet
fleet:
  nodes:
    - { name: boot, role: bootstrap }
    - { name: pub }
    - { name: sym, nat: symmetric }
`;

describe.skipIf(!isRoot)('fleet commands', () => {
  it('up, nodes --json, diagnose and down', async () => {
    const cwd = join(work, 'cycle');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), CONFIG);
    const up = await runCli(['up'], cwd);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stderr).toMatch(/sshd answering on 3 machine/);
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    expect(namespacesOf(runId).length).toBe(5); // inet, 2 public, router + host

    const nodes = await runCli(['nodes', '--json'], cwd);
    expect(nodes.code, nodes.stderr).toBe(0);
    const listed = JSON.parse(nodes.stdout) as { runId: string; nodes: { name: string; nat: string; ssh: string; publicIp: string; privateIp: string; namespaces: string[] }[] };
    expect(listed.runId).toBe(runId);
    expect(listed.nodes.map((n) => [n.name, n.nat, n.ssh])).toEqual([
      ['boot', 'none', 'ok'],
      ['pub', 'none', 'ok'],
      ['sym', 'symmetric', 'ok'],
    ]);
    const sym = listed.nodes[2]!;
    expect(sym.privateIp).toMatch(/^10\./);
    expect(sym.namespaces).toHaveLength(2);

    const diag = await runCli(['diagnose', 'sym'], cwd);
    expect(diag.code, diag.stderr).toBe(0);
    expect(diag.stdout).toMatch(/== NAT rules \(router\)[\s\S]*masquerade random/);
    expect(diag.stdout).toMatch(/== memory\n\s+total/);
    const unknown = await runCli(['diagnose', 'nope'], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no node 'nope'.*nodes: boot, pub, sym/);

    const down = await runCli(['down'], cwd);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`run ${runId}: down`);
    expectRunGone(cwd, runId);
    const again = await runCli(['nodes'], cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no fleet is up/);
  });

  it('Ctrl-C in the middle of up leaves nothing behind', async () => {
    const cwd = join(work, 'sigint');
    mkdirSync(cwd, { recursive: true });
    const many = Array.from({ length: 16 }, (_, i) => `    - { name: n${i}, nat: ${['full-cone', 'symmetric', 'port-restricted', 'address-restricted'][i % 4]} }`).join('\n');
    writeFileSync(join(cwd, '.vps-test.yml'), `fleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n${many}\n`);
    const up = startCli(['up'], cwd);
    const deadline = Date.now() + 60_000;
    // interrupt as soon as the first machine exists, long before all 17 are up
    while (!/lab \w+: \w+: /.test(up.output()) && Date.now() < deadline && up.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    up.child.kill('SIGINT');
    const r = await up.done;
    expect(r.stderr).not.toMatch(/sshd answering on 17 machine/);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    expectRunGone(cwd, runId);
  });

  it('the bundled CLI (dist/) brings a fleet up, reaches it over SSH and removes it', async () => {
    const cwd = join(work, 'dist');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), CONFIG);
    expect((await runDist(['validate'], cwd)).stdout).toMatch(/valid \(project fleet, 3 nodes on local/);
    const up = await runDist(['up'], cwd);
    expect(up.code, up.stderr).toBe(0);
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    const nodes = await runDist(['nodes', '--json'], cwd);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect((JSON.parse(nodes.stdout) as { nodes: { ssh: string }[] }).nodes.map((n) => n.ssh)).toEqual(['ok', 'ok', 'ok']);
    expect((await runDist(['down'], cwd)).code).toBe(0);
    expectRunGone(cwd, runId);
  });

  it('run --keep leaves the fleet and its services up for nodes and down', async () => {
    const cwd = join(work, 'keep');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), `${CONFIG}tests:\n  connectivity: { trials: 1, min_attempts: 1 }\n`);
    const run = await runCli(['run', '--yes', '--keep'], cwd);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toMatch(/--keep: the fleet stays up/);
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    const nodes = await runCli(['nodes', '--json'], cwd);
    const listed = JSON.parse(nodes.stdout) as { nodes: { name: string; ssh: string; services: Record<string, string> }[] };
    expect(listed.nodes.find((n) => n.name === 'boot')?.services['vps-agent-serve']).toMatch(/^running \(pid \d+\)$/);
    // what happens on a kept fleet after the run is collected by down, before the fleet goes
    const runDir = join(cwd, '.vps-test', 'runs', runId);
    const fleet = await readFleet(runDir);
    const pool = SshPool.forFleet(fleet);
    const boot = fleet.nodes.find((n) => n.name === 'boot') as FleetNode;
    await pool.exec(boot, `echo written after the run > ${boot.workdir}/logs/after-keep.log`);
    await pool.close();
    const down = await runCli(['down', runId], cwd);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(down.stderr).toMatch(/logs collected from 3 of 3 nodes into /);
    expect(readFileSync(join(runDir, 'logs', 'boot', 'after-keep.log'), 'utf8')).toBe('written after the run\n');
    expectRunGone(cwd, runId);
  });

  it.skipIf(spawnSync('id', ['nobody']).status !== 0)('without root, run says what is missing before building anything', async () => {
    const cwd = join(work, 'nobody');
    mkdirSync(cwd, { recursive: true });
    chmodSync(work, 0o777);
    chmodSync(cwd, 0o777);
    const cli = join(REPO_ROOT, 'bin/vps-test.js');
    const r = spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', `cd ${cwd} && HOME=${cwd} CI=true ${process.execPath} ${cli} run --yes`], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/plan FAILED after [\d.]+s: this machine cannot host a lab:\n\s+- the lab needs root/);
    expect(r.stderr).not.toMatch(/build \.\.\./);
    expect(r.stdout).toMatch(/ERROR/);
  });
});
