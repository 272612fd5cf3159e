// Soak checkpoints compared with the first and the baseline: a NAT made symmetric between two
// checkpoints shows as a regression at that checkpoint, naming the pairs.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/results/evaluate.js';
import type { ResultsJson } from '../../../src/results/schema.js';
import { compareCheckpoints, renderSoakTrend } from '../../../src/soak/index.js';
import { aggregateOf, attempts, planOf } from '../results/helpers.js';

const plan = planOf([['pub', 'none'], ['fc', 'full-cone'], ['pr', 'port-restricted']]);

/** A checkpoint's results; `broken` pairs (from->to) punch only 4 of 10 times (4 NAT-traversed pairs in all). */
function checkpoint(at: string, broken: string[] = []): ResultsJson {
  const events = plan.suites[0]!.pairs.flatMap((p) => attempts(p.from, p.to, p.expectedPath, 10, broken.includes(`${p.from}->${p.to}`) ? 4 : 10));
  return evaluate({ plan, aggregate: aggregateOf(events), generatedAt: at });
}

describe('soak comparison', () => {
  it('a checkpoint where a router turned symmetric regresses nat_traversed vs the first, naming the pairs', () => {
    const c = compareCheckpoints(
      [
        { checkpoint: 'start', results: checkpoint('t0') },
        { checkpoint: '1s', results: checkpoint('t1') },
        { checkpoint: '2s', results: checkpoint('t2', ['pr->fc', 'fc->pr']) },
      ],
      5,
    );
    expect(c.rows.map((r) => [r.checkpoint, r.categories.nat_traversed?.rate, r.categories.nat_traversed?.vs_first, r.categories.nat_traversed?.regressed])).toEqual([
      ['start', 100, 0, false],
      ['1s', 100, 0, false],
      ['2s', 70, -30, true],
    ]);
    expect(c.regressions).toHaveLength(3); // nat_traversed and the two NAT-pair categories
    expect(c.reasons[0]).toBe('soak: nat_traversed regressed 30 points at checkpoint 2s vs the first checkpoint (start) (100% -> 70%, tolerance 5); pairs: fc->pr, pr->fc');
    expect(c.rows[2]?.categories.direct).toMatchObject({ rate: 100, regressed: false });
  });

  it('within the tolerance is not a regression; against the baseline it is judged too', () => {
    const first = checkpoint('t0', ['fc->pr']);
    expect(compareCheckpoints([{ checkpoint: 'a', results: first }, { checkpoint: 'b', results: checkpoint('t1', ['fc->pr']) }], 0).regressions).toEqual([]);
    const c = compareCheckpoints([{ checkpoint: 'a', results: first }], 10, checkpoint('base'));
    expect(c.regressions.map((r) => [r.category, r.against, r.pairs])).toEqual([
      ['nat_traversed', 'baseline', ['fc->pr']],
      ['full-cone->port-restricted', 'baseline', ['fc->pr']],
    ]);
  });

  it('renders a row per checkpoint and category, regressions marked and explained', () => {
    const text = renderSoakTrend(compareCheckpoints([{ checkpoint: 'start', results: checkpoint('t0') }, { checkpoint: '6h', results: checkpoint('t6', ['fc->pr']) }], 0));
    expect(text).toContain('### Soak trend (tolerance 0 points)');
    expect(text).toContain('| 6h | t6 | nat_traversed | 85.0% | -15.0 | — | ❌ regressed |');
    expect(text).toContain('| start | t0 | direct | 100.0% | 0.0 | — |  |');
    expect(text).toMatch(/- soak: nat_traversed regressed 15 points at checkpoint 6h/);
  });
});
