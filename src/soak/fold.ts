// A soak folded into the run's results (docs/architecture.md "Soak"): the first test's results
// stay the run's own (pairs, latency, evidence), the checkpoints become the trend in `soak`, and
// what the soak found joins the verdict: a regression beyond the tolerance fails, a checkpoint
// that failed or degraded on its own counts as such, a soak cut short degrades. Pure.
import type { ResultsJson, SoakCheckpoint } from '../results/schema.js';
import { mergeFindings } from '../results/merge.js';
import { compareCheckpoints, type CheckpointResults } from './compare.js';

/** The name of the first test's row in the trend. */
export const FIRST_CHECKPOINT = 'start';

export interface SoakFoldInput {
  /** the first test's results (as evaluate made them, baseline findings included) */
  first: ResultsJson;
  /** the checkpoints evaluated so far, in order */
  checkpoints: readonly CheckpointResults[];
  /** every planned checkpoint's name, in order */
  planned: readonly string[];
  tolerance: number;
  baseline?: ResultsJson;
  /** why the soak ended before its last checkpoint */
  cutShort?: string;
}

export function foldSoak(input: SoakFoldInput): ResultsJson {
  const { first, checkpoints, tolerance, baseline } = input;
  const comparison = compareCheckpoints([{ checkpoint: FIRST_CHECKPOINT, results: first }, ...checkpoints], tolerance, baseline);
  // the first test against the baseline is judged by evaluate already: not twice
  const fails = comparison.reasons.filter((_, i) => !(comparison.regressions[i]?.checkpoint === FIRST_CHECKPOINT && comparison.regressions[i]?.against === 'baseline'));
  const degrades: string[] = [];
  for (const cp of checkpoints) {
    const why = cp.results.reasons[0] ?? '';
    if (cp.results.verdict === 'fail' || cp.results.verdict === 'error') fails.push(`soak: checkpoint ${cp.checkpoint} ${cp.results.verdict === 'fail' ? 'failed' : 'ended in an error'}: ${why}`);
    else if (cp.results.verdict === 'degraded') degrades.push(`soak: checkpoint ${cp.checkpoint} degraded: ${why}`);
  }
  const missing = input.planned.filter((name) => !checkpoints.some((c) => c.checkpoint === name));
  if (missing.length) degrades.push(`soak: checkpoint${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not run${input.cutShort ? ` (${input.cutShort})` : ''}`);
  const passes = checkpoints.length && !fails.length ? [`soak: ${checkpoints.length} checkpoint${checkpoints.length > 1 ? 's' : ''} (${checkpoints.map((c) => c.checkpoint).join(', ')}) within ${tolerance} points of the first test`] : [];
  const merged = mergeFindings(first, { fails, degrades, passes });
  const soak: SoakCheckpoint[] = comparison.rows.map((row) => ({
    checkpoint: row.checkpoint,
    at: row.at,
    verdict: row.verdict,
    rates: Object.fromEntries(Object.entries(row.categories).map(([c, cell]) => [c, cell.rate])),
    trend: Object.fromEntries(Object.entries(row.categories).map(([c, cell]) => [c, { vs_first: cell.vs_first, vs_baseline: cell.vs_baseline, regressed: cell.regressed }])),
  }));
  return { ...merged, soak };
}
