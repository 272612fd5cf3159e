// Soak checkpoints compared (docs/architecture.md "Soak"): every checkpoint's results against
// the first checkpoint and against the baseline, per category and per pair. A drop beyond
// `regression_tolerance` points is a regression that fails the run, naming the checkpoint, the
// category and the pairs that got worse. Pure: results in, comparison out.
import type { PairResult, ResultsJson } from '../results/schema.js';

export interface CheckpointResults {
  /** e.g. "1h" or "checkpoint 2" */
  checkpoint: string;
  results: ResultsJson;
}

export interface TrendCell {
  rate: number | null;
  /** points vs the first checkpoint / the baseline; null when either side has no rate */
  vs_first: number | null;
  vs_baseline: number | null;
  regressed: boolean;
}

export interface TrendRow {
  checkpoint: string;
  at: string;
  verdict: ResultsJson['verdict'];
  categories: Record<string, TrendCell>;
}

export interface SoakRegression {
  checkpoint: string;
  category: string;
  against: 'first' | 'baseline';
  from: number;
  to: number;
  /** pairs of that category whose own rate dropped beyond the tolerance, "suite from->to" */
  pairs: string[];
}

export interface SoakComparison {
  tolerance: number;
  rows: TrendRow[];
  regressions: SoakRegression[];
  reasons: string[];
}

const EPS = 1e-9;
const round1 = (n: number): number => Math.round(n * 10) / 10;
const rateOf = (p: PairResult): number | null => (p.attempts ? (p.successes / p.attempts) * 100 : null);
const pairKey = (p: PairResult): string => `${p.suite} ${p.from}->${p.to}`;

/** The category a pair counts under (its expected path; per-NAT-pair categories have their own names). */
function categoryOfPair(p: PairResult): string[] {
  const byPath = { direct: 'direct', hole_punch: 'nat_traversed', relay: 'relay' } as const;
  const own = p.expected_path ? [byPath[p.expected_path]] : [];
  return p.from_nat && p.to_nat ? [...own, `${p.from_nat}->${p.to_nat}`] : own;
}

/** Pairs of `category` whose rate at `now` dropped more than `tolerance` points below `before`. */
export function worsenedPairs(before: ResultsJson, now: ResultsJson, category: string, tolerance: number): string[] {
  const earlier = new Map(before.pairs.map((p) => [pairKey(p), p]));
  const out: string[] = [];
  for (const p of now.pairs) {
    if (!categoryOfPair(p).includes(category)) continue;
    const was = earlier.get(pairKey(p));
    const a = was ? rateOf(was) : null;
    const b = rateOf(p);
    if (a !== null && (b === null || a - b > tolerance + EPS)) out.push(`${p.from}->${p.to}`);
  }
  return out;
}

export function compareCheckpoints(checkpoints: readonly CheckpointResults[], tolerance: number, baseline?: ResultsJson): SoakComparison {
  const first = checkpoints[0];
  const rows: TrendRow[] = [];
  const regressions: SoakRegression[] = [];
  for (const [i, cp] of checkpoints.entries()) {
    const categories: Record<string, TrendCell> = {};
    for (const [name, c] of Object.entries(cp.results.categories)) {
      if (c.attempts === 0) continue;
      const firstRate = first?.results.categories[name]?.rate ?? null;
      const baseRate = baseline?.categories[name]?.rate ?? null;
      const vsFirst = c.rate !== null && firstRate !== null ? round1(c.rate - firstRate) : null;
      const vsBase = c.rate !== null && baseRate !== null ? round1(c.rate - baseRate) : null;
      const cell: TrendCell = { rate: c.rate, vs_first: vsFirst, vs_baseline: vsBase, regressed: false };
      if (i > 0 && first && vsFirst !== null && vsFirst < -tolerance - EPS) {
        cell.regressed = true;
        regressions.push({ checkpoint: cp.checkpoint, category: name, against: 'first', from: firstRate as number, to: c.rate as number, pairs: worsenedPairs(first.results, cp.results, name, tolerance) });
      }
      if (baseline && vsBase !== null && vsBase < -tolerance - EPS) {
        cell.regressed = true;
        regressions.push({ checkpoint: cp.checkpoint, category: name, against: 'baseline', from: baseRate as number, to: c.rate as number, pairs: worsenedPairs(baseline, cp.results, name, tolerance) });
      }
      categories[name] = cell;
    }
    rows.push({ checkpoint: cp.checkpoint, at: cp.results.generated_at, verdict: cp.results.verdict, categories });
  }
  const reasons = regressions.map(
    (r) =>
      `soak: ${r.category} regressed ${round1(r.from - r.to)} points at checkpoint ${r.checkpoint} vs the ${r.against === 'first' ? `first checkpoint (${first?.checkpoint})` : 'baseline'} (${round1(r.from)}% -> ${round1(r.to)}%, tolerance ${tolerance})${r.pairs.length ? `; pairs: ${r.pairs.slice(0, 8).join(', ')}${r.pairs.length > 8 ? ` (+${r.pairs.length - 8} more)` : ''}` : ''}`,
  );
  return { tolerance, rows, regressions, reasons };
}
