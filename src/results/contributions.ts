// Which categories a pair's attempts count toward, and with how many successes. Shared by
// evaluation (category tallies) and the renderers (JUnit testcases per category). Pure.
import { PATHS } from '../config/model.js';
import { categoryOf, pairCategory } from './oracle.js';
import type { PairResult } from './schema.js';

export interface Contribution {
  category: string;
  attempts: number;
  successes: number;
}

/**
 * With an expected path, all of the pair's attempts count toward that path's category (and its
 * NAT-pair category). Without one, each attempt counts under the path it names.
 */
export function pairContributions(pair: PairResult): Contribution[] {
  const out: Contribution[] = [];
  if (pair.expected_path) {
    out.push({ category: categoryOf(pair.expected_path), attempts: pair.attempts, successes: pair.successes });
  } else {
    for (const p of PATHS) {
      const attempts = pair.attempt_paths[p];
      if (attempts > 0) out.push({ category: categoryOf(p), attempts, successes: pair.ok_paths[p] });
    }
  }
  if (pair.from_nat && pair.to_nat && pair.attempts > 0) {
    out.push({ category: pairCategory(pair.from_nat, pair.to_nat), attempts: pair.attempts, successes: pair.successes });
  }
  return out;
}
