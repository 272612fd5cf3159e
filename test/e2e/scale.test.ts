// 48 nodes through the reference agent on the lab: 1 bootstrap and 47 nodes over the five NAT
// kinds, every ordered pair once (2,256 attempts in rotated rounds, docs/architecture.md "Pair
// rotation"). The expected matrix is written out here by hand, independently of the oracle the
// code uses. Its dishonest twin on the same fleet: one node's probe never registers, and the run
// must fail naming that node and only its pairs. One lab for both (the suite's time budget).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, runCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the 48-node scale test: it needs root (network namespaces, nftables, sshd)');

const NODES = 48;
const KINDS = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'] as const;
const kindOf = (name: string) => (name === 'boot' ? 'bootstrap' : KINDS[(Number(name.slice(1)) - 1) % KINDS.length]);
const names = ['boot', ...Array.from({ length: NODES - 1 }, (_, i) => `n${i + 1}`)];
/** The NAT matrix by hand: public ends are reached directly, port-restricted/symmetric mixes need the relay. */
function handExpected(from: string, to: string): string {
  const [a, b] = [kindOf(from), kindOf(to)];
  if (b === 'bootstrap' || b === 'none') return 'direct';
  const hard = new Set(['port-restricted>symmetric', 'symmetric>port-restricted', 'symmetric>symmetric']);
  return hard.has(`${a}>${b}`) ? 'relay' : 'hole_punch';
}

const CONFIG = [
  'project: scale-48',
  'build: { kind: agent }',
  'fleet:',
  '  provider: local',
  '  nodes:',
  '    - { name: boot, role: bootstrap }',
  ...names.slice(1).map((n) => `    - { name: ${n}, nat: ${kindOf(n)} }`),
  'tests:',
  '  connectivity: { trials: 1, min_attempts: 1, criteria: { direct: 100, nat_traversed: 100, relay: 100 } }',
  'report: { pr_comment: false, journal: false, artifacts: false }',
  '',
].join('\n');

interface PairJson { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number }
interface ResultsFile { verdict: string; reasons: string[]; pairs: PairJson[] }

let cwd: string;
const runId = `sc${Math.random().toString(36).slice(2, 5)}`;
let runDir: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'vps-test-scale-'));
  writeFileSync(join(cwd, '.vps-test.yml'), CONFIG);
  runDir = join(cwd, '.vps-test', 'runs', runId);
});
afterAll(async () => {
  if (existsSync(runDir)) await runCli(['down', runId], cwd);
  rmSync(cwd, { recursive: true, force: true });
});

const results = (): ResultsFile => JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as ResultsFile;

describe.skipIf(!isRoot)('48 nodes through the agent', () => {
  it('every ordered pair on the NAT matrix, in rotated rounds the plan names', async () => {
    const started = Date.now();
    const r = await runCli(['run', '--stages', 'build,provision,deploy,test,evaluate', '--run-id', runId, '--yes'], cwd);
    const stages = [...(r.stderr + r.stdout).matchAll(/\] (\w+) done in ([\d.]+)s/g)].map((m) => `${m[1]} ${m[2]} s`).join(', ');
    console.log(`48-node run (build to evaluate): ${((Date.now() - started) / 1000).toFixed(1)} s (${stages})`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/rotated: 3 rounds per trial of at most \d+ pairs each \(every pair still 1 time\)/);
    const res = results();
    expect(res.verdict).toBe('pass');
    const pairs = res.pairs.filter((p) => p.suite === 'connectivity');
    expect(pairs).toHaveLength(NODES * (NODES - 1));
    for (const p of pairs) {
      const expected = handExpected(p.from, p.to);
      expect(p.expected_path, `${p.from}->${p.to}`).toBe(expected);
      expect(`${p.from}->${p.to} ${p.observed_path} ${p.successes}/${p.attempts}`).toBe(`${p.from}->${p.to} ${expected} 1/1`);
    }
  }, 300_000);

  it('dishonest twin: a node whose probe never registers fails the run, named with every pair it is in', async () => {
    // n7 (full-cone) runs a "probe" that prints nothing and never contacts the server.
    writeFileSync(join(runDir, 'lab', 'n7', 'bin', 'vps-agent'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const r = await runCli(['run', '--run', runId, '--stages', 'test,evaluate', '--yes'], cwd);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const res = results();
    expect(res.verdict).toBe('fail');
    expect(res.reasons.join('\n')).toMatch(/n7/);
    const pairs = res.pairs.filter((p) => p.suite === 'connectivity');
    const withN7 = pairs.filter((p) => p.from === 'n7' || p.to === 'n7');
    expect(withN7).toHaveLength(2 * (NODES - 1));
    for (const p of withN7) expect(`${p.from}->${p.to} ${p.successes}/${p.attempts}`).toBe(`${p.from}->${p.to} 0/1`);
    // the rest still connects (a loaded 2-core host may lose an odd attempt; n7 is what failed the run)
    const rest = pairs.filter((p) => p.from !== 'n7' && p.to !== 'n7');
    expect(rest.filter((p) => p.successes === 1).length / rest.length).toBeGreaterThan(0.97);
    // why, per attempt: n7's own attempts have no result from its probe; the others' towards n7 never paired
    const events = readFileSync(join(runDir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; from?: string; to?: string; error?: string });
    const errors = (f: (e: { from?: string; to?: string }) => boolean) => new Set(events.filter((e) => e.type === 'attempt' && f(e)).map((e) => e.error));
    expect([...errors((e) => e.from === 'n7')].every((x) => /no result from n7's probe/.test(x ?? ''))).toBe(true);
    expect([...errors((e) => e.to === 'n7')]).toEqual(['timeout (peer never registered)']);
  }, 300_000);

  it('leaves nothing behind', async () => {
    const d = await runCli(['down', runId], cwd);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(namespacesOf(runId)).toEqual([]);
    expect(processesMentioning(runDir)).toEqual([]);
  }, 120_000);
});
