// Pair-level evaluation: resolves each pair's expected path (plan, else NAT oracle, else unknown),
// decides which attempts count as successes, and tallies categories. Pure.
import { PATHS, type NatType, type PathKind, type Role } from '../config/model.js';
import type { Aggregator, PairStats } from './aggregate.js';
import { pairContributions, type Contribution } from './contributions.js';
import { expectedPath, pathAtLeast, pathRank } from './oracle.js';
import type { ObservedPath, PairResult } from './schema.js';
import { round } from './stats.js';

export interface NodeInfo {
  name: string;
  role: Role | null;
  nat: NatType | null;
}

export interface CategoryTally {
  attempts: number;
  successes: number;
  /** "from->to" of pairs with at least one unsuccessful attempt in this category */
  failingPairs: Set<string>;
}

export interface FalseSuccess {
  suite: string;
  from: string;
  to: string;
  count: number;
  reason: string;
}

export interface PairTally {
  pairs: PairResult[];
  categories: Map<string, CategoryTally>;
  falseSuccess: FalseSuccess[];
  /** successes the network contradicted (path evidence, identity reuse), per pair */
  falseClaims: FalseSuccess[];
}

export function plannedKey(suite: string, from: string, to: string): string {
  return `${suite}\u0000${from}\u0000${to}`;
}

/** Expected path: what the plan says for this suite's pair, else the oracle on known NAT types. */
export function resolveExpected(pair: { suite: string; from: string; to: string }, nodes: ReadonlyMap<string, NodeInfo>, planned: ReadonlyMap<string, PathKind>): PathKind | null {
  const fromPlan = planned.get(plannedKey(pair.suite, pair.from, pair.to));
  if (fromPlan) return fromPlan;
  const fromNat = nodes.get(pair.from)?.nat;
  const toNat = nodes.get(pair.to)?.nat;
  return fromNat && toNat ? expectedPath(fromNat, toNat) : null;
}

/** Most frequent path that worked (ties: the better path); 'failed' if none worked; 'none' if untried. */
export function observedPath(stats: PairStats): ObservedPath {
  if (stats.attempts === 0) return 'none';
  let best: PathKind | null = null;
  for (const p of PATHS) {
    const n = stats.okByPath[p];
    if (n === 0) continue;
    if (best === null || n > stats.okByPath[best] || (n === stats.okByPath[best] && pathRank(p) < pathRank(best))) best = p;
  }
  return best ?? 'failed';
}

function topError(errors: Map<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [reason, count] of errors) {
    if (count > bestCount) {
      best = reason;
      bestCount = count;
    }
  }
  return best;
}

function bump(categories: Map<string, CategoryTally>, c: Contribution, label: string): void {
  let t = categories.get(c.category);
  if (!t) {
    t = { attempts: 0, successes: 0, failingPairs: new Set() };
    categories.set(c.category, t);
  }
  t.attempts += c.attempts;
  t.successes += c.successes;
  if (c.successes < c.attempts) t.failingPairs.add(label);
}

export function tallyPairs(
  agg: Aggregator,
  nodes: ReadonlyMap<string, NodeInfo>,
  planned: ReadonlyMap<string, PathKind>,
  comparePairs: (a: PairStats, b: PairStats) => number,
  /** unreachable nodes: their pairs are listed but judged by the unreachable rule, not the categories */
  unreachable: ReadonlySet<string> = new Set(),
): PairTally {
  const categories = new Map<string, CategoryTally>();
  const falseSuccess: FalseSuccess[] = [];
  const falseClaims: FalseSuccess[] = [];
  const pairs: PairResult[] = [];
  for (const stats of [...agg.pairs.values()].sort(comparePairs)) {
    const expected = resolveExpected(stats, nodes, planned);
    const fromNat = nodes.get(stats.from)?.nat ?? null;
    const toNat = nodes.get(stats.to)?.nat ?? null;
    let successes = 0;
    for (const p of PATHS) {
      // With an expectation, success only when the path that worked is at least as good: a
      // punch-expected pair that only got through the relay failed at punching.
      if (!expected || pathAtLeast(p, expected)) successes += stats.okByPath[p];
    }
    if (stats.falseSuccess > 0) {
      falseSuccess.push({ suite: stats.suite, from: stats.from, to: stats.to, count: stats.falseSuccess, reason: stats.falseSuccessReason ?? 'same node at both ends' });
    }
    if (stats.falseClaims > 0) falseClaims.push({ suite: stats.suite, from: stats.from, to: stats.to, count: stats.falseClaims, reason: stats.falseClaimReason ?? 'contradicted by the network' });
    const measured = Object.values(stats.evidence).some((n) => n > 0);
    const p50 = stats.rtt.quantile(0.5);
    const p95 = stats.rtt.quantile(0.95);
    const top = topError(stats.errors);
    pairs.push({
      suite: stats.suite,
      from: stats.from,
      to: stats.to,
      from_nat: fromNat,
      to_nat: toNat,
      expected_path: expected,
      observed_path: observedPath(stats),
      attempts: stats.attempts,
      successes,
      attempt_paths: { ...stats.attemptsByPath },
      ok_paths: { ...stats.okByPath },
      rtt_p50_ms: p50 === undefined ? null : round(p50, 3),
      rtt_p95_ms: p95 === undefined ? null : round(p95, 3),
      ...(top !== undefined && { top_error: top }),
      ...(stats.falseSuccess > 0 && { false_success: stats.falseSuccessReason ?? 'same node at both ends' }),
      ...(measured && { evidence: { ...stats.evidence } }),
      ...(stats.falseClaims > 0 && { false_claims: stats.falseClaims, false_claim: stats.falseClaimReason ?? 'contradicted by the network' }),
      ...(stats.missing > 0 && { missing: stats.missing }),
    });
  }
  for (const pair of pairs) {
    if (unreachable.has(pair.from) || unreachable.has(pair.to)) continue;
    for (const c of pairContributions(pair)) bump(categories, c, `${pair.from}->${pair.to}`);
  }
  return { pairs, categories, falseSuccess, falseClaims };
}
