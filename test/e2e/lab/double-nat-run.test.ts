// `vps-test run` with a node behind two NATs (a port-restricted home router behind a
// sequential-port carrier NAT) in a small fleet: the real agent, real namespaces and NATs. The
// expected matrix is written out here by hand from RFC 4787 (the carrier's dependent mapping
// makes the node symmetric from outside, so it needs the relay with a port-restricted peer
// although its own router is port-restricted), independently of the oracle the code uses.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, runCli } from '../../helpers/cli.js';

const isRoot = process.getuid?.() === 0;

interface PairJson { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number; evidence?: Record<string, number> }

const CONFIG = `project: double-nat
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: fullcone, nat: full-cone }
    - { name: portrestr, nat: port-restricted }
    - { name: home, nat: port-restricted, behind: symmetric-sequential }
tests:
  connectivity: { trials: 4, min_attempts: 4 }
`;

/** By hand: to a public node direct; home <-> portrestr relay (dependent mapping meets port filtering); else hole punch. */
function handExpected(from: string, to: string): string {
  if (to === 'bootstrap') return 'direct';
  return (from === 'home' && to === 'portrestr') || (from === 'portrestr' && to === 'home') ? 'relay' : 'hole_punch';
}

describe.skipIf(!isRoot)('vps-test run with a double-NAT node', () => {
  const work = mkdtempSync(join(tmpdir(), 'vps-test-dnat-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('plans and observes the matrix derived from both NATs, with path evidence, and leaves nothing', async () => {
    writeFileSync(join(work, '.vps-test.yml'), CONFIG);
    const r = await runCli(['run', '--yes'], work);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/home \(port-restricted, behind a symmetric-sequential NAT\)/);
    const runs = readdirSync(join(work, '.vps-test', 'runs'));
    expect(runs).toHaveLength(1);
    const runDir = join(work, '.vps-test', 'runs', runs[0] as string);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: PairJson[] };
    expect(results.verdict).toBe('pass');
    const pairs = results.pairs.filter((p) => p.suite === 'connectivity');
    expect(pairs).toHaveLength(12);
    for (const p of pairs) {
      const expected = handExpected(p.from, p.to);
      expect(p.expected_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.observed_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.successes, `${p.from}->${p.to}`).toBe(p.attempts);
      expect(p.attempts, `${p.from}->${p.to}`).toBeGreaterThanOrEqual(4);
      // counted on the home router (behind both NATs) for the double-NAT node
      expect(p.evidence?.[expected === 'relay' ? 'relayed' : 'direct'], `${p.from}->${p.to} evidence ${JSON.stringify(p.evidence)}`).toBe(p.attempts);
    }
    expect(namespacesOf(runs[0] as string)).toEqual([]);
    expect(processesMentioning(runDir)).toEqual([]);
    expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
  });
});
