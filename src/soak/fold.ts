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
  const fails: string[] = [];
  const degrades: string[] = [];
  const explained = new Map<string, { nodes: Set<string>; categories: string[] }>();
  const counted = new Set<string>(); // checkpoint + category of the regressions that fail
  comparison.regressions.forEach((r, i) => {
    // the first test against the baseline is judged by evaluate already: not twice
    if (r.checkpoint === FIRST_CHECKPOINT && r.against === 'baseline') return;
    // a drop only on pairs of a node that stopped answering is judged by the unreachable rule
    const gone = unreachableAt(checkpoints, r.checkpoint);
    if (r.pairs.length && r.pairs.every((p) => p.split('->').some((n) => gone.has(n)))) {
      const e = explained.get(r.checkpoint) ?? { nodes: gone, categories: [] };
      if (!e.categories.includes(r.category)) e.categories.push(r.category);
      explained.set(r.checkpoint, e);
      return;
    }
    counted.add(`${r.checkpoint} ${r.category}`);
    fails.push(comparison.reasons[i] as string);
  });
  for (const [checkpoint, e] of explained) degrades.push(`soak: at checkpoint ${checkpoint} ${e.categories.join(', ')} dropped only on pairs of unreachable ${[...e.nodes].join(', ')} (judged as unreachable, not as a regression)`);
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
    trend: Object.fromEntries(Object.entries(row.categories).map(([c, cell]) => [c, { vs_first: cell.vs_first, vs_baseline: cell.vs_baseline, regressed: cell.regressed && (counted.has(`${row.checkpoint} ${c}`) || !explained.get(row.checkpoint)?.categories.includes(c)) }])),
  }));
  return { ...merged, soak };
}

function unreachableAt(checkpoints: readonly CheckpointResults[], name: string): Set<string> {
  const cp = checkpoints.find((c) => c.checkpoint === name);
  return new Set((cp?.results.nodes ?? []).filter((n) => n.status === 'unreachable').map((n) => n.name));
}
