// `vps-test run` on provider inventory, end to end: the hosts are lab machines addressed as
// static hosts (pinned keys), one with `nat: symmetric` rendered there by the natbox recipe.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { INVENTORY_ROOT } from '../../../src/providers/inventory/scripts.js';
import { runCli } from '../../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping inventory run test: the hosts are lab machines (network namespaces, sshd)');

describe.skipIf(!isRoot)('vps-test run on inventory hosts (lab machines)', () => {
  let lab: Lab;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vt-inventory-run-'));
    lab = await createLab({ runId: `invr${process.pid % 10000}`, labRoot: join(work, 'lab'), nodes: ['m0', 'm1', 'm2'].map((name) => ({ name, nat: 'none', role: 'peer' })) }, { handleSignals: false });
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the connectivity matrix with a natbox on one host, then leaves the hosts as found', async () => {
    const nftBefore = lab.topology.machines.map((m) => execFileSync('ip', ['netns', 'exec', m.machineNamespace, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }));
    const [a, b, c] = lab.fleet.nodes;
    const node = (name: string, n: typeof a, extra = '') => `    - { name: ${name}, host: ${n?.publicIp}, user: ${n?.ssh.user}, host_key: "${n?.ssh.hostKey}"${extra} }`;
    const cwd = join(work, 'run');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, '.vps-test.yml'),
      ['project: inventory-run', 'fleet:', '  provider: inventory', '  nodes:', node('boot', a, ', role: bootstrap'), node('pub', b), node('sym', c, ', nat: symmetric'), 'tests:', '  connectivity: { trials: 3, min_attempts: 3 }', ''].join('\n'),
    );
    const r = await runCli(['run', '--yes'], cwd, { VPS_TEST_SSH_KEY: lab.fleet.clientKeyPath });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runDir = join(cwd, '.vps-test', 'runs', readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: { from: string; to: string; observed_path: string }[] };
    expect(results.verdict).toBe('pass');
    // to a public host: direct; sym -> pub punches (one NAT side), pub -> sym too
    expect(results.pairs.find((p) => p.from === 'sym' && p.to === 'boot')?.observed_path).toBe('direct');
    expect(results.pairs.find((p) => p.from === 'pub' && p.to === 'sym')?.observed_path).toBe('hole_punch');
    const facts = JSON.parse(readFileSync(join(runDir, 'inventory', 'facts.json'), 'utf8')) as { facts: Record<string, { arch: string; nft: boolean }> };
    expect(facts.facts.sym).toMatchObject({ arch: 'x86_64', nft: true });
    expect(existsSync(INVENTORY_ROOT)).toBe(false);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/vpstest-/);
    expect(lab.topology.machines.map((m) => execFileSync('ip', ['netns', 'exec', m.machineNamespace, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }))).toEqual(nftBefore);
  });
});
