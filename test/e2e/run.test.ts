// `vps-test run` end to end on the lab: real zig build of the agent, real namespaces behind real
// nftables NATs, real sshd, real probes. The expected matrix is written out here by hand (the
// table of docs/architecture.md ("The NAT oracle")), independently of the oracle the code uses.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, runCli, startCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping e2e run tests: they need root (network namespaces, nftables, sshd)');

interface PairJson { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number; evidence?: Record<string, number> }
interface ResultsFile { verdict: string; reasons: string[]; categories: Record<string, { attempts: number; successes: number; rate: number; threshold: number | null; judged: boolean }>; pairs: PairJson[] }

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-e2e-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function onlyRunDir(cwd: string): string {
  const runs = readdirSync(join(cwd, '.vps-test', 'runs'));
  expect(runs).toHaveLength(1);
  return join(cwd, '.vps-test', 'runs', runs[0] as string);
}

function expectNothingLeft(runDir: string): void {
  const runId = runDir.split('/').pop() as string;
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
}

/** A run that must fail (exit 1, verdict fail); its folder and results. */
async function runExpectingFailure(cwd: string): Promise<{ runDir: string; results: ResultsFile; stdout: string }> {
  const r = await runCli(['run', '--yes'], cwd);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/FAIL/);
  const runDir = onlyRunDir(cwd);
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as ResultsFile;
  expect(results.verdict).toBe('fail');
  return { runDir, results, stdout: r.stdout };
}

function caseDir(name: string, config?: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (config) writeFileSync(join(dir, '.vps-test.yml'), config);
  return dir;
}

const PUBLIC = new Set(['bootstrap', 'public']);
const NEEDS_RELAY = new Set(['portrestr>symmetric', 'symmetric>portrestr', 'symmetric>symmetric']);
function handExpected(from: string, to: string): string {
  if (PUBLIC.has(to)) return 'direct';
  return NEEDS_RELAY.has(`${from}>${to}`) ? 'relay' : 'hole_punch';
}

describe.skipIf(!isRoot)('vps-test run on the lab', () => {
  it('runs the default example and reproduces the NAT matrix of docs/architecture.md ("The NAT oracle")', async () => {
    const cwd = caseDir('default');
    const r = await runCli(['run', '--yes'], cwd);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/running the default example/);
    for (const stage of ['build', 'provision', 'deploy', 'test', 'evaluate', 'report', 'teardown']) expect(r.stderr).toMatch(new RegExp(`\\] ${stage} done in \\d+\\.\\ds`));
    const runDir = onlyRunDir(cwd);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.verdict).toBe('pass');
    const pairs = results.pairs.filter((p) => p.suite === 'connectivity');
    expect(pairs).toHaveLength(30);
    for (const p of pairs) {
      const expected = handExpected(p.from, p.to);
      expect(p.expected_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.observed_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.attempts, `${p.from}->${p.to}`).toBeGreaterThanOrEqual(10);
      expect(p.successes, `${p.from}->${p.to}`).toBe(p.attempts);
      // what the network saw (nft counters on each machine's public side) matches the path taken
      expect(p.evidence?.[expected === 'relay' ? 'relayed' : 'direct'], `${p.from}->${p.to} evidence ${JSON.stringify(p.evidence)}`).toBe(p.attempts);
    }
    expect(results.categories.direct).toMatchObject({ attempts: 100, threshold: 99, judged: true });
    expect(results.categories.nat_traversed).toMatchObject({ attempts: 180, threshold: 85, judged: true });
    expect(results.categories.relay).toMatchObject({ attempts: 20, threshold: 100, judged: true });
    expect(results.categories.relay!.rate).toBe(100);
    for (const f of ['report.md', 'results.jsonl', 'junit.xml', 'journal.md', 'state.json']) expect(existsSync(join(runDir, f)), f).toBe(true);
    expect(readdirSync(runDir).some((f) => /^proof-.*\.md$/.test(f))).toBe(true);
    expect(readdirSync(join(runDir, 'logs')).sort()).toEqual(['bootstrap', 'fullcone', 'portrestr', 'public', 'restricted', 'symmetric']);
    // every attempt line came from a probe that really ran on the node it names
    const lines = readFileSync(join(runDir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { from_id?: string; to_id?: string });
    expect(lines.every((e) => e.from_id && e.to_id && e.from_id !== e.to_id)).toBe(true);
    expectNothingLeft(runDir);
  });

  it('fails naming the relay category and its pairs when the relay is disabled', async () => {
    const cwd = caseDir('no-relay', `project: no-relay
agent: { relay: false }
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: portrestr, nat: port-restricted }
    - { name: symmetric, nat: symmetric }
tests:
  connectivity: { trials: 5, min_attempts: 5 }
`);
    const { runDir, results } = await runExpectingFailure(cwd);
    expect(results.categories.relay).toMatchObject({ attempts: 10, successes: 0, judged: true });
    const relayReason = results.reasons.find((x) => x.startsWith('relay'));
    expect(relayReason).toMatch(/portrestr->symmetric/);
    expect(relayReason).toMatch(/symmetric->portrestr/);
    // punching still worked: the failure is the relay's alone
    expect(results.categories.nat_traversed!.rate).toBe(100);
    expectNothingLeft(runDir);
  });

  it('fails naming nat_traversed when the NATs drop all UDP', async () => {
    const cwd = caseDir('udp-blocked', `project: udp-blocked
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: public }
    - { name: fullcone, nat: full-cone, impair: { loss: 100% } }
    - { name: portrestr, nat: port-restricted, impair: { loss: 100% } }
tests:
  connectivity: { trials: 5, min_attempts: 5, timeout: 1s }
`);
    const { runDir, results } = await runExpectingFailure(cwd);
    expect(results.categories.nat_traversed).toMatchObject({ successes: 0, judged: true });
    expect(results.reasons.some((x) => x.startsWith('nat_traversed'))).toBe(true);
    // the public pair is untouched: this is the NATs' failure
    expect(results.pairs.find((p) => p.from === 'public' && p.to === 'bootstrap')?.successes).toBe(5);
    expectNothingLeft(runDir);
  });

  it('refuses a config whose two peers are the same machine before anything runs', async () => {
    const cwd = caseDir('same-machine', `fleet:
  provider: inventory
  nodes:
    - { name: boot, role: bootstrap, host: 192.0.2.1, host_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA" }
    - { name: twin, host: 192.0.2.1, host_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA" }
tests:
  connectivity: {}
`);
    const r = await runCli(['run', '--yes'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.vps-test\.yml:5:\d+: fleet\.nodes\[1\]\.host: node 'twin' is the same machine as 'boot'/);
    expect(existsSync(join(cwd, '.vps-test'))).toBe(false);
  });

  it('tears everything down on Ctrl-C in the middle of the test stage', async () => {
    const cwd = caseDir('sigint', `project: sigint
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: a, nat: symmetric }
    - { name: b, nat: full-cone }
tests:
  connectivity: { trials: 50 }
`);
    const run = startCli(['run', '--yes'], cwd);
    const deadline = Date.now() + 120_000;
    while (!/round 2\/50 done/.test(run.output()) && Date.now() < deadline && run.child.exitCode === null) await new Promise((res) => setTimeout(res, 100));
    expect(run.output()).toMatch(/round 2\/50 done/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping; tearing down/);
    expect(r.stderr).toMatch(/teardown done/);
    const runDir = onlyRunDir(cwd);
    const state = JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as { fleetUp: boolean };
    expect(state.fleetUp).toBe(false);
    expectNothingLeft(runDir);
  });
});

