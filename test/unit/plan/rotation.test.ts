import { describe, expect, it } from 'vitest';
import { circleMatchings, rotateRounds, type OrderedPair } from '../../../src/plan/rotation.js';

function fullMesh(n: number): OrderedPair[] {
  const names = Array.from({ length: n }, (_, i) => `n${String(i).padStart(3, '0')}`);
  return names.flatMap((a) => names.filter((b) => b !== a).map((b) => ({ from: a, to: b })));
}

describe('circle matchings', () => {
  for (const n of [2, 5, 6, 17, 100]) {
    it(`${n} nodes: every unordered pair exactly once, nobody twice in a matching`, () => {
      const seen = new Map<string, number>();
      for (const m of circleMatchings(n)) {
        const inMatching = m.flat();
        expect(new Set(inMatching).size).toBe(inMatching.length);
        for (const [a, b] of m) seen.set(`${a}-${b}`, (seen.get(`${a}-${b}`) ?? 0) + 1);
      }
      expect(seen.size).toBe((n * (n - 1)) / 2);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    });
  }
});

describe('pair rotation', () => {
  it('covers every planned ordered pair exactly `trials` times within the per-round bound', () => {
    const pairs = fullMesh(100);
    const rounds = rotateRounds(pairs, 3, 2000);
    const count = new Map<string, number>();
    for (const r of rounds) {
      expect(r.pairs.length).toBeLessThanOrEqual(2000);
      for (const p of r.pairs) count.set(`${p.from}>${p.to}`, (count.get(`${p.from}>${p.to}`) ?? 0) + 1);
      // the peers handed to the agents are exactly the round's pairs, both ways
      expect(r.pairs.every((p) => r.peers.get(p.from)?.includes(p.to) && r.peers.get(p.to)?.includes(p.from))).toBe(true);
    }
    expect(count.size).toBe(9900);
    expect([...count.values()].every((c) => c === 3)).toBe(true);
    expect(rounds.filter((r) => r.trial === 1).length).toBe(Math.ceil(99 / Math.floor(2000 / 100)));
  });

  it('with a bound of at least all pairs, one round per trial holds every pair (no rotation)', () => {
    const pairs = fullMesh(6);
    const rounds = rotateRounds(pairs, 10, 30);
    expect(rounds).toHaveLength(10);
    for (const r of rounds) expect(r.pairs).toHaveLength(30);
  });

  it('measures only planned pairs, never a pair the plan does not have', () => {
    const pairs = [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'a', to: 'c' }];
    const rounds = rotateRounds(pairs, 2, 2);
    const all = rounds.flatMap((r) => r.pairs.map((p) => `${p.from}>${p.to}`));
    expect(all.sort()).toEqual(['a>b', 'a>b', 'a>c', 'a>c', 'b>a', 'b>a']);
    for (const r of rounds) expect(r.peers.has('b') && r.peers.has('c')).toBe(false); // b-c is not planned
  });

  it('refuses a bound below one pair', () => {
    expect(() => rotateRounds(fullMesh(3), 1, 1)).toThrow(/maxPairsPerRound/);
  });
});

describe('planned rotation', () => {
  it('a 100-node full mesh is split into rounds within the bound, each about the same size', async () => {
    const { plannedRotation, MAX_PAIRS_PER_ROUND } = await import('../../../src/plan/rotation.js');
    const r = plannedRotation(fullMesh(100));
    expect(r).toBeDefined();
    expect(r!.pairsPerRound).toBeLessThanOrEqual(MAX_PAIRS_PER_ROUND);
    expect(r!.roundsPerTrial).toBe(Math.ceil(9900 / MAX_PAIRS_PER_ROUND));
    const sizes = rotateRounds(fullMesh(100), 1, r!.pairsPerRound).map((x) => x.pairs.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(200); // one matching of 50 pairs, both ways, at most twice
  });

  it('a fleet whose pairs fit one round is not rotated', async () => {
    const { plannedRotation } = await import('../../../src/plan/rotation.js');
    expect(plannedRotation(fullMesh(6))).toBeUndefined();
  });
});
