import { describe, expect, it } from 'vitest';
import { probeArgv, startLeadMs, trialRounds } from '../../../src/subject/agent.js';
import { plannedRotation } from '../../../src/plan/rotation.js';
import type { PlannedPair, PlannedSuite } from '../../../src/plan/types.js';

function mesh(n: number): PlannedPair[] {
  const names = ['boot', ...Array.from({ length: n - 1 }, (_, i) => `n${i + 1}`)];
  return names.flatMap((a) => names.filter((b) => b !== a).map((b) => ({ from: a, to: b, expectedPath: 'direct' as const })));
}

function suiteOf(pairs: PlannedPair[]): PlannedSuite {
  const rotation = plannedRotation(pairs);
  return { name: 'connectivity', trials: 2, pairs, timeoutMs: 3000, ...(rotation && { rotation }) };
}

describe('agent driver rounds', () => {
  it('without rotation one round gives every node all the others', () => {
    const rounds = trialRounds(suiteOf(mesh(6)));
    expect(rounds).toHaveLength(1);
    expect(rounds[0]!.peers.get('boot')).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  });

  it('a rotated trial probes every planned pair in exactly one of its rounds, both ends told', () => {
    const pairs = mesh(100);
    const suite = suiteOf(pairs);
    expect(suite.rotation).toBeDefined();
    const rounds = trialRounds(suite);
    expect(rounds).toHaveLength(suite.rotation!.roundsPerTrial);
    const seen = new Map<string, number>();
    for (const r of rounds) {
      let sessions = 0;
      for (const [node, peers] of r.peers) {
        sessions += peers.length;
        for (const p of peers) {
          expect(r.peers.get(p)).toContain(node); // the other end answers
          seen.set(`${node}>${p}`, (seen.get(`${node}>${p}`) ?? 0) + 1);
        }
      }
      expect(sessions).toBeLessThanOrEqual(suite.rotation!.pairsPerRound);
    }
    expect(pairs.every((p) => seen.get(`${p.from}>${p.to}`) === 1)).toBe(true);
  });

  it('a synchronized round names its start and start window', () => {
    const argv = probeArgv('/bin/vps-agent', 'n1', ['n2'], '1.2.3.4:9000', 10001, 'connectivity', { timeoutMs: 3000, startAtMs: 1_700_000_000_000, startWindowMs: 3000 });
    expect(argv.join(' ')).toContain('--start-window-ms 3000 --start-at 1700000000000');
    expect(probeArgv('/b', 'n1', ['n2'], 's:1', 1, 'connectivity', { timeoutMs: 3000 })).not.toContain('--start-at');
    expect(startLeadMs(100)).toBeGreaterThan(startLeadMs(12));
  });
});
