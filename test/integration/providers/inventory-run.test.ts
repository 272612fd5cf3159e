// `vps-test run` on provider inventory, end to end: the hosts are lab machines addressed as
// static hosts (pinned keys), one with `nat: symmetric` rendered there by the natbox recipe;
// hosts never reached (a closed port) degrade the run while at least half answer, fail it below.
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

  /** Each machine's nft ruleset, without what traffic changes in the lab's own evidence table (counters, dynamic set elements). */
  const rulesets = () =>
    lab.topology.machines.map((m) =>
      execFileSync('ip', ['netns', 'exec', m.machineNamespace, 'nft', 'list', 'ruleset'], { encoding: 'utf8' })
        .replace(/elements = \{[^}]*\}/g, 'elements = {...}')
        .replace(/counter packets \d+ bytes \d+/g, 'counter'),
    );

  it('runs the connectivity matrix with a natbox on one host, then leaves the hosts as found', async () => {
    const nftBefore = rulesets();
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
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: { from: string; to: string; observed_path: string; attempts: number; evidence?: Record<string, number> }[] };
    expect(results.verdict).toBe('pass');
    // the hosts' own counters (the run's table, installed and removed by the provider) saw every attempt go direct
    for (const p of results.pairs) expect(p.evidence?.direct, `${p.from}->${p.to} ${JSON.stringify(p.evidence)}`).toBe(p.attempts);
    expect(r.stdout + r.stderr).toMatch(/path evidence: \d+ reads of 3 machines' counters/);
    // to a public host: direct; sym -> pub punches (one NAT side), pub -> sym too
    expect(results.pairs.find((p) => p.from === 'sym' && p.to === 'boot')?.observed_path).toBe('direct');
    expect(results.pairs.find((p) => p.from === 'pub' && p.to === 'sym')?.observed_path).toBe('hole_punch');
    const facts = JSON.parse(readFileSync(join(runDir, 'inventory', 'facts.json'), 'utf8')) as { facts: Record<string, { arch: string; nft: boolean }> };
    expect(facts.facts.sym).toMatchObject({ arch: 'x86_64', nft: true });
    expect(existsSync(INVENTORY_ROOT)).toBe(false);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toMatch(/vpstest-/);
    expect(rulesets()).toEqual(nftBefore);
  });

  /** Four hosts, the first `reachable` of them lab machines, the rest a closed port (never reached). */
  async function runWithUnreachable(name: string, reachable: number) {
    const hosts = ['h0', 'h1', 'h2', 'h3'].map((h, i) => {
      const n = lab.fleet.nodes[i % 3];
      const port = i < reachable ? 22 : 40 + i; // closed: connection refused
      return `    - { name: ${h}, host: ${n?.publicIp}, port: ${port}, user: ${n?.ssh.user}, host_key: "${n?.ssh.hostKey}"${i === 0 ? ', role: bootstrap' : ''} }`;
    });
    const cwd = join(work, name);
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), ['project: inventory-down', 'fleet:', '  provider: inventory', '  nodes:', ...hosts, 'tests:', '  connectivity: { trials: 2, min_attempts: 2 }', ''].join('\n'));
    const r = await runCli(['run', '--yes'], cwd, { VPS_TEST_SSH_KEY: lab.fleet.clientKeyPath });
    const runs = join(cwd, '.vps-test', 'runs');
    const runDir = existsSync(runs) ? join(runs, readdirSync(runs)[0] as string) : undefined;
    return { r, runDir };
  }

  it('one of four hosts never reached: the run is degraded, names it, and fails its pairs with the reason', async () => {
    // h3 is a closed port on the first machine
    const { r, runDir } = await runWithUnreachable('one-down', 3);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(runDir as string, 'results.json'), 'utf8')) as { verdict: string; reasons: string[]; nodes: { name: string; status: string }[]; pairs: { from: string; to: string; attempts: number; successes: number; top_error?: string }[] };
    expect(results.verdict, results.reasons.join('\n')).toBe('degraded');
    expect(results.reasons).toContain('1 of 4 nodes unreachable: h3');
    expect(results.nodes.find((n) => n.name === 'h3')?.status).toBe('unreachable');
    expect(r.stdout).toMatch(/unreachable: h3/);
    const ofH3 = results.pairs.filter((p) => p.from === 'h3' || p.to === 'h3');
    expect(ofH3).toHaveLength(6);
    for (const p of ofH3) {
      expect(p).toMatchObject({ attempts: 2, successes: 0 });
      expect(p.top_error).toMatch(/^node h3 unreachable since provisioning/);
    }
    expect(results.pairs.filter((p) => p.from !== 'h3' && p.to !== 'h3').every((p) => p.successes === p.attempts && p.attempts === 2)).toBe(true);
    expect(existsSync(INVENTORY_ROOT)).toBe(false);
  });

  it('three of four hosts never reached: the run fails naming them, every pair failed with its reason, the reached host left as found', async () => {
    const before = rulesets();
    const { r, runDir } = await runWithUnreachable('three-down', 1);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const results = JSON.parse(readFileSync(join(runDir as string, 'results.json'), 'utf8')) as { verdict: string; reasons: string[]; pairs: { from: string; to: string; attempts: number; successes: number; top_error?: string }[] };
    expect(results.verdict, results.reasons.join('\n')).toBe('fail');
    expect(results.reasons.join('\n')).toMatch(/3 of 4 nodes unreachable: h1, h2, h3 \(more than half\)/);
    expect(r.stdout).toMatch(/unreachable: h1, h2, h3/);
    expect(results.pairs).toHaveLength(12);
    for (const p of results.pairs) {
      expect(p).toMatchObject({ attempts: 2, successes: 0 });
      expect(p.top_error).toMatch(/^node h[123] unreachable since provisioning \(cannot connect/);
    }
    expect(existsSync(INVENTORY_ROOT)).toBe(false);
    expect(rulesets()).toEqual(before);
  });
});
