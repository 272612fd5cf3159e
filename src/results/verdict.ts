// The verdict and its reasons, in words a reviewer can act on. Pure.
import type { CategoryTally, FalseSuccess } from './tally.js';
import type { CategoryResult, CriteriaResult, DeadResult, GossipResult, NodeResult, RejectedResult, ResultsJson, ThroughputResult, Verdict } from './schema.js';
import type { NoResult } from './aggregate.js';
import { describeDead } from './dead.js';
import type { MalformedLine } from './reader.js';

export interface VerdictInput {
  stageError?: string | undefined;
  events: number;
  malformed: { count: number; samples: MalformedLine[] };
  falseSuccess: FalseSuccess[];
  categories: Record<string, CategoryResult>;
  categoryTallies: ReadonlyMap<string, CategoryTally>;
  criteria: CriteriaResult;
  baseline?: ResultsJson | undefined;
  throughput: ThroughputResult[];
  gossip: GossipResult | null;
  nodes: NodeResult[];
  untested: { suite: string; from: string; to: string }[];
  /** successes the network contradicted, per pair */
  falseClaims?: FalseSuccess[];
  rejected?: RejectedResult[];
  noResult?: readonly NoResult[];
  dead?: DeadResult[];
}

const FINDING_WORDS: Record<string, string> = {
  forged: 'signed as another node',
  unplanned: 'not planned',
  duplicate: 'duplicates',
  identity_reuse: 'identity reuse',
};

/** Percent with one decimal, or more when one decimal would hide that it is below `limit`. */
export function formatPercent(value: number, limit?: number): string {
  for (const digits of [1, 2, 3]) {
    const text = value.toFixed(digits);
    if (limit === undefined || value >= limit || Number(text) < limit) return `${text}%`;
  }
  return `${value}%`;
}

/** A value known to exceed `limit`, with enough decimals that the text shows it does. */
export function formatAbove(value: number, limit: number, unit: string): string {
  for (const digits of [1, 2, 3]) {
    const text = value.toFixed(digits);
    if (Number(text) > limit) return `${text}${unit}`;
  }
  return `${value}${unit}`;
}

/** "a, b, c (+4 more)" */
export function listSome(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} (+${items.length - max} more)` : shown;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function judgeVerdict(input: VerdictInput): { verdict: Verdict; reasons: string[] } {
  const errors: string[] = [];
  const fails: string[] = [];
  const degrades: string[] = [];
  const { criteria } = input;

  if (input.stageError) errors.push(`stage error: ${input.stageError}`);
  if (input.events === 0) {
    errors.push(input.malformed.count ? `no valid result events (${plural(input.malformed.count, 'malformed line')})` : 'no result events at all');
  }
  for (const f of input.falseSuccess) {
    errors.push(`false success in ${f.suite} ${f.from}->${f.to}: ${f.reason} (${plural(f.count, 'attempt')}, never counted as success)`);
  }

  gateReasons(input, fails, degrades, errors);

  for (const [name, c] of Object.entries(input.categories)) {
    const failing = [...(input.categoryTallies.get(name)?.failingPairs ?? [])];
    const pairsNote = failing.length ? ` (pairs: ${listSome(failing)})` : '';
    if (c.judged && c.rate !== null) {
      const exact = (c.successes / c.attempts) * 100;
      if (c.threshold !== null && exact < c.threshold - 1e-9) {
        fails.push(`${name} ${formatPercent(exact, c.threshold)} < ${c.threshold}% threshold${pairsNote}`);
      }
      if (c.baseline_delta !== null && c.baseline_delta < -criteria.regression_tolerance - 1e-9) {
        const before = input.baseline?.categories[name]?.rate;
        fails.push(
          `${name} regressed ${Math.abs(c.baseline_delta).toFixed(1)} points vs baseline (${before === null || before === undefined ? '?' : formatPercent(before)} -> ${formatPercent(exact)}, tolerance ${criteria.regression_tolerance})${pairsNote}`,
        );
      }
    } else if (c.threshold !== null) {
      degrades.push(`${name} not judged (threshold ${c.threshold}%): ${c.note ?? 'no attempts'}`);
    }
  }

  // A bound with nothing measured against it is not a pass: say so.
  if (criteria.min_mbps !== null && input.throughput.length === 0) degrades.push(`throughput not judged (min ${criteria.min_mbps} Mbit/s): no throughput results`);
  if (criteria.min_delivery !== null && !input.gossip) degrades.push(`gossip delivery not judged (min ${criteria.min_delivery}%): no gossip results`);
  const slow = input.throughput.filter((t) => t.passed === false);
  if (slow.length) {
    fails.push(`throughput below ${criteria.min_mbps} Mbit/s: ${listSome(slow.map((t) => `${t.from}->${t.to} ${t.mbps.toFixed(1)}`))}`);
  }
  lossReasons(input.throughput, criteria.max_loss, fails, degrades);
  const g = input.gossip;
  p95Reasons(g, criteria.gossip_p95_ms, fails, degrades);
  if (g && criteria.min_delivery !== null) {
    const min = criteria.min_delivery;
    const short = g.per_message.filter((m) => m.expected > 0 && (m.delivered / m.expected) * 100 < min - 1e-9);
    if (short.length) fails.push(`gossip delivery below ${min}%: ${listSome(short.map((m) => `${m.msg} ${formatPercent((m.delivered / m.expected) * 100, min)} (${m.delivered}/${m.expected})`))}`);
  }

  const down = input.nodes.filter((n) => n.status === 'unreachable').map((n) => n.name);
  if (down.length) {
    const line = `${down.length} of ${plural(input.nodes.length, 'node')} unreachable: ${listSome(down)}`;
    if (down.length * 2 > input.nodes.length) fails.push(`${line} (more than half)`);
    else degrades.push(line);
  }
  if (input.malformed.count) {
    const first = input.malformed.samples[0];
    const tolerated = criteria.malformed_tolerance ?? 0;
    const line = `${plural(input.malformed.count, 'malformed line')}${first ? ` (first: ${first.source}:${first.line} ${first.reason})` : ''}`;
    if (input.malformed.count > tolerated) errors.push(`${line}; ${tolerated ? `only ${tolerated} tolerated` : 'none tolerated'} (subject.malformed_lines)`);
    else degrades.push(`${line} ignored (up to ${tolerated} tolerated)`);
  }
  if (input.untested.length) {
    degrades.push(`${plural(input.untested.length, 'planned pair')} had no attempts: ${listSome(input.untested.map((p) => `${p.suite} ${p.from}->${p.to}`))}`);
  }
  const judged = Object.entries(input.categories).filter(([, c]) => c.judged);
  const anyAttempts = Object.values(input.categories).some((c) => c.attempts > 0);
  if (judged.length === 0 && anyAttempts && !errors.length && !fails.length) {
    degrades.push('no category could be judged: give thresholds (e.g. --threshold direct=99) or a baseline');
  }

  if (errors.length) return { verdict: 'error', reasons: [...errors, ...fails, ...degrades] };
  if (fails.length) return { verdict: 'fail', reasons: [...fails, ...degrades] };
  if (degrades.length) return { verdict: 'degraded', reasons: degrades };
  const met: string[] = [];
  if (judged.length) met.push(`${judged.length} judged ${judged.length === 1 ? 'category' : 'categories'} (${judged.map(([n]) => n).slice(0, 3).join(', ')}${judged.length > 3 ? ', ...' : ''})`);
  if (input.throughput.some((t) => t.passed)) met.push(`throughput >= ${criteria.min_mbps} Mbit/s`);
  if (input.throughput.some((t) => t.loss_passed)) met.push(`throughput loss <= ${criteria.max_loss}%`);
  if (g && criteria.min_delivery !== null) met.push(`gossip delivery >= ${criteria.min_delivery}%`);
  if (g?.p95_passed) met.push(`gossip latency p95 <= ${criteria.gossip_p95_ms} ms`);
  return { verdict: 'pass', reasons: [met.length ? `all criteria met: ${met.join('; ')}` : 'nothing to judge and nothing failed'] };
}

/** max_loss: a pair above it fails; a pair (or a run) with no loss reported cannot pass on it. */
function lossReasons(throughput: readonly ThroughputResult[], maxLoss: number | null, fails: string[], degrades: string[]): void {
  if (maxLoss === null) return;
  if (!throughput.length) {
    degrades.push(`throughput loss not judged (max ${maxLoss}%): no throughput measured`);
    return;
  }
  const lossy = throughput.filter((t) => t.loss_passed === false);
  if (lossy.length) fails.push(`throughput loss above ${maxLoss}%: ${listSome(lossy.map((t) => `${t.from}->${t.to} ${formatAbove(t.loss ?? 0, maxLoss, '%')}`))}`);
  const silent = throughput.filter((t) => t.loss === null);
  if (silent.length) degrades.push(`throughput loss not judged (max ${maxLoss}%): no loss reported for ${plural(silent.length, 'pair')}: ${listSome(silent.map((t) => `${t.from}->${t.to}`))}`);
}

/** gossip p95 bound on the pooled delivery latency; the reason names the slowest messages. */
function p95Reasons(g: GossipResult | null, bound: number | null, fails: string[], degrades: string[]): void {
  if (bound === null) return;
  if (!g || g.latency_p95_ms === null) {
    degrades.push(`gossip latency p95 not judged (max ${bound} ms): ${g ? 'no delivery latencies' : 'no gossip measured'}`);
    return;
  }
  if (g.p95_passed !== false) return;
  const worst = g.per_message
    .filter((m) => m.latency_p95_ms !== null)
    .sort((a, b) => (b.latency_p95_ms as number) - (a.latency_p95_ms as number))
    .map((m) => `${m.msg} ${(m.latency_p95_ms as number).toFixed(1)} ms`);
  fails.push(`gossip latency p95 ${formatAbove(g.latency_p95_ms, bound, ' ms')} > ${bound} ms bound (worst messages by p95: ${listSome(worst, 3)})`);
}

/** What the gate refused, successes the network contradicted, silent pairs and dead classes. */
function gateReasons(input: VerdictInput, fails: string[], degrades: string[], _errors: string[]): void {
  for (const r of input.rejected ?? []) {
    fails.push(`${plural(r.count, 'event')} rejected (${FINDING_WORDS[r.finding] ?? r.finding}): ${listSome(r.samples, 3)}`);
  }
  const claims = input.falseClaims ?? [];
  if (claims.length) {
    const total = claims.reduce((s, c) => s + c.count, 0);
    const byReason = new Map<string, string[]>();
    for (const c of claims) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), `${c.from}->${c.to}`]);
    const parts = [...byReason].map(([reason, pairs]) => `${reason}: ${listSome(pairs)}`);
    fails.push(`false success: ${plural(total, 'attempt')} on ${plural(claims.length, 'pair')} claimed what the network did not see (${parts.slice(0, 3).join('; ')}${parts.length > 3 ? `; +${parts.length - 3} more reasons` : ''})`);
  }
  for (const n of input.noResult ?? []) {
    fails.push(n.suite === 'throughput' ? `throughput ${n.from}->${n.to ?? '?'} measured nothing: ${n.detail}` : `gossip ${n.msg ?? ''} from ${n.from} reached nobody: ${n.detail}`);
  }
  const dead = input.dead ?? [];
  if (dead.length) {
    const line = `dead: ${listSome(dead.map(describeDead), 4)}`;
    if (input.criteria.dead_class === 'fail') fails.push(line);
    else degrades.push(`${line} (criteria dead_class: fail makes this fail the run)`);
  }
}
