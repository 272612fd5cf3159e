// Aggregate (+ plan, baseline) -> results.json with a verdict and reasons in words. Pure: the
// time is an input. Categories are judged on the EXPECTED path of each pair (docs/architecture.md, "Evaluation").
import type { PathKind } from '../config/model.js';
import type { Expectations, Thresholds } from './expectations.js';
import type { Aggregator, PairStats } from './aggregate.js';
import { naturalCompare, compareCategories } from './names.js';
import { CATEGORIES } from './oracle.js';
import type { MalformedLine } from './reader.js';
import { RESULTS_SCHEMA, type CategoryResult, type CriteriaResult, type NodeResult, type ResultsJson, type SoakCheckpoint } from './schema.js';
import { round, wilson } from './stats.js';
import { summarizeGossip, summarizeMetrics, summarizeThroughput } from './summaries.js';
import { plannedKey, tallyPairs, type CategoryTally, type NodeInfo } from './tally.js';
import { judgeVerdict } from './verdict.js';
import { deadClasses } from './dead.js';
import { mergeScenarioVerdict, summarizeScenarios, type ScenarioStepResult } from './scenario.js';
import { mergeFindings } from './merge.js';
import { judgeMetrics } from '../metrics/criteria.js';
import type { MetricScrape } from '../metrics/scrape.js';
import type { MetricCriterion } from '../config/metrics.js';

export const DEFAULT_MIN_ATTEMPTS = 10;

export interface EvaluateInput {
  /** the Plan (or any value with its shape: what was planned and what passes) */
  plan?: Expectations;
  aggregate: Aggregator;
  baseline?: ResultsJson;
  /** default: what the aggregator counted */
  malformed?: { count: number; samples: MalformedLine[] };
  /** ISO timestamp written as generated_at */
  generatedAt: string;
  runId?: string;
  project?: string;
  /** merged over the plan's thresholds (percent per category) */
  thresholds?: Thresholds;
  minAttempts?: number;
  regressionTolerance?: number;
  minMbps?: number;
  /** percent of receivers every gossip message must reach */
  minDelivery?: number;
  /** highest mean loss (percent) a throughput pair may report */
  maxLoss?: number;
  /** bound (ms) on the overall gossip delivery latency p95 */
  maxGossipP95Ms?: number;
  /** an earlier stage failed: the verdict is 'error' with this reason */
  stageError?: string;
  /** what a dead class does to the verdict (default: the plan's, else 'degraded') */
  deadClass?: 'degraded' | 'fail';
  /** malformed lines tolerated before 'error' (default: the plan's, else 0) */
  malformedTolerance?: number;
  /** nodes that could never be reached */
  unreachable?: string[];
  soak?: SoakCheckpoint[];
  /** scenario step results (scenarios.jsonl); planned scenarios without any are failed */
  scenarioSteps?: ScenarioStepResult[];
  /** Prometheus scrapes (metrics.jsonl) and the config's criteria on them */
  metrics?: { criteria: MetricCriterion[]; scrapes: MetricScrape[]; endpoint?: string };
}

function criteriaOf(input: EvaluateInput): CriteriaResult {
  const { plan } = input;
  return {
    thresholds: { ...(plan?.thresholds ?? {}), ...(input.thresholds ?? {}) },
    min_attempts: input.minAttempts ?? plan?.minAttempts ?? DEFAULT_MIN_ATTEMPTS,
    regression_tolerance: input.regressionTolerance ?? plan?.regressionTolerance ?? 0,
    min_mbps: input.minMbps ?? plan?.throughput?.minMbps ?? null,
    min_delivery: input.minDelivery ?? plan?.gossip?.minDelivery ?? null,
    max_loss: input.maxLoss ?? plan?.throughput?.maxLoss ?? null,
    gossip_p95_ms: input.maxGossipP95Ms ?? plan?.gossip?.maxP95Ms ?? null,
    dead_class: input.deadClass ?? plan?.deadClass ?? 'degraded',
    malformed_tolerance: input.malformedTolerance ?? plan?.malformedTolerance ?? 0,
  };
}

/** Plan nodes in plan order, then nodes only seen in events in natural order. */
function nodeInfos(plan: Expectations | undefined, agg: Aggregator): NodeInfo[] {
  const infos: NodeInfo[] = (plan?.nodes ?? []).map((n) => ({ name: n.name, role: n.role, nat: n.nat }));
  const known = new Set(infos.map((n) => n.name));
  const extra = [...agg.nodes].filter((n) => !known.has(n)).sort(naturalCompare);
  return [...infos, ...extra.map((name) => ({ name, role: null, nat: null }))];
}

const EPS = 1e-9;

export function judgeCategory(tally: CategoryTally | undefined, threshold: number | null, baselineRate: number | null, criteria: CriteriaResult): CategoryResult {
  const attempts = tally?.attempts ?? 0;
  const successes = tally?.successes ?? 0;
  const exactRate = attempts ? (successes / attempts) * 100 : null;
  const ci = attempts ? wilson(successes, attempts) : null;
  const delta = exactRate !== null && baselineRate !== null ? exactRate - baselineRate : null;
  const enough = attempts > 0 && attempts >= criteria.min_attempts;
  const judged = enough && (threshold !== null || delta !== null);
  let passed: boolean | null = null;
  let note: string | undefined;
  if (attempts === 0) note = 'no attempts';
  else if (!enough) note = `too few attempts to judge: ${attempts} < ${criteria.min_attempts}`;
  else if (!judged) note = 'no threshold or baseline';
  if (judged && exactRate !== null) {
    const below = threshold !== null && exactRate < threshold - EPS;
    const regressed = delta !== null && delta < -criteria.regression_tolerance - EPS;
    passed = !below && !regressed;
    const why = [below ? `below the ${threshold}% threshold` : '', regressed ? `regressed ${round(-(delta as number), 2)} points vs baseline (tolerance ${criteria.regression_tolerance})` : ''];
    if (!passed) note = why.filter(Boolean).join('; ');
  }
  return {
    attempts,
    successes,
    rate: exactRate === null ? null : round(exactRate, 2),
    ci_low: ci ? round(ci.low * 100, 2) : null,
    ci_high: ci ? round(ci.high * 100, 2) : null,
    threshold,
    baseline_delta: delta === null ? null : round(delta, 2),
    judged,
    passed,
    ...(note !== undefined && { note }),
  };
}

export function evaluate(input: EvaluateInput): ResultsJson {
  const { plan, aggregate: agg, baseline } = input;
  const criteria = criteriaOf(input);
  const infos = nodeInfos(plan, agg);
  const nodeMap = new Map(infos.map((n) => [n.name, n]));
  const order = new Map(infos.map((n, i) => [n.name, i]));
  const nodeOrder = (name: string): number => order.get(name) ?? Number.MAX_SAFE_INTEGER;

  const planned = new Map<string, PathKind>();
  const suiteOrder = new Map<string, number>();
  for (const suite of plan?.suites ?? []) {
    suiteOrder.set(suite.name, suiteOrder.size);
    for (const p of suite.pairs) planned.set(plannedKey(suite.name, p.from, p.to), p.expectedPath);
  }
  const comparePairs = (a: PairStats, b: PairStats): number =>
    (suiteOrder.get(a.suite) ?? 1e9) - (suiteOrder.get(b.suite) ?? 1e9) ||
    (a.suite < b.suite ? -1 : a.suite > b.suite ? 1 : 0) ||
    nodeOrder(a.from) - nodeOrder(b.from) ||
    nodeOrder(a.to) - nodeOrder(b.to);
  const unreachable = new Set(input.unreachable ?? []);
  const tally = tallyPairs(agg, nodeMap, planned, comparePairs, unreachable);

  const names = new Set<string>([...CATEGORIES, ...tally.categories.keys(), ...Object.keys(criteria.thresholds)]);
  const categories: Record<string, CategoryResult> = {};
  for (const name of [...names].sort(compareCategories)) {
    const baseRate = baseline?.categories[name]?.rate ?? null;
    categories[name] = judgeCategory(tally.categories.get(name), criteria.thresholds[name] ?? null, baseRate, criteria);
  }

  const receivers = infos.map((n) => n.name).filter((n) => !unreachable.has(n));
  const throughput = summarizeThroughput(agg, criteria.min_mbps, criteria.max_loss, nodeOrder);
  const gossip = summarizeGossip(agg, receivers, criteria.min_delivery, criteria.gossip_p95_ms);
  const malformed = input.malformed ?? { count: agg.malformedCount, samples: agg.malformedSamples };
  const nodes: NodeResult[] = infos.map((n) => ({ ...n, status: unreachable.has(n.name) ? 'unreachable' : 'ok' }));
  const testedPairs = new Set(tally.pairs.map((p) => plannedKey(p.suite, p.from, p.to)));
  const untested = [...planned.keys()].filter((k) => !testedPairs.has(k)).map((k) => k.split('\u0000'));

  const plannedScenarios = (plan?.suites ?? []).filter((s) => s.name.startsWith('scenario:')).map((s) => s.name.slice('scenario:'.length));
  const scenarioSteps = input.scenarioSteps ?? [];
  const scenarios = plannedScenarios.length || scenarioSteps.length ? summarizeScenarios(plannedScenarios, scenarioSteps) : [];
  // pairs of an unreachable node are dead by its absence, judged by the unreachable rule
  const dead = deadClasses(tally.pairs.filter((p) => !unreachable.has(p.from) && !unreachable.has(p.to)));
  const rejected = [...agg.findings].map(([finding, f]) => ({ finding, count: f.count, samples: [...f.samples] }));
  const judged = judgeVerdict({
    falseClaims: tally.falseClaims,
    rejected,
    noResult: agg.noResult,
    dead,
    stageError: input.stageError,
    // scenario steps are results too: a scenario-only run is not "no result events"
    events: agg.events + scenarioSteps.length + (input.metrics?.scrapes.length ?? 0),
    malformed,
    falseSuccess: tally.falseSuccess,
    categories,
    categoryTallies: tally.categories,
    criteria,
    baseline,
    throughput,
    gossip,
    nodes,
    untested: untested.map(([suite, from, to]) => ({ suite: suite as string, from: from as string, to: to as string })),
  });
  const prometheus = input.metrics ? judgeMetrics(input.metrics.criteria, input.metrics.scrapes, input.metrics.endpoint) : undefined;
  const { verdict, reasons } = prometheus ? mergeFindings(mergeScenarioVerdict(judged, scenarios), prometheus) : mergeScenarioVerdict(judged, scenarios);

  const metrics = summarizeMetrics(agg, nodeOrder);
  const p50 = agg.latency.quantile(0.5);
  const p95 = agg.latency.quantile(0.95);
  return {
    schema: RESULTS_SCHEMA,
    verdict,
    reasons,
    generated_at: input.generatedAt,
    ...(input.runId !== undefined && { run_id: input.runId }),
    ...((input.project ?? plan?.choices.project) !== undefined && { project: input.project ?? plan?.choices.project }),
    criteria,
    ...(baseline && { baseline: { generated_at: baseline.generated_at, ...(baseline.run_id !== undefined && { run_id: baseline.run_id }), verdict: baseline.verdict } }),
    categories,
    pairs: tally.pairs,
    latency: { p50_ms: p50 === undefined ? null : round(p50, 3), p95_ms: p95 === undefined ? null : round(p95, 3), samples: agg.latency.count },
    throughput,
    gossip,
    malformed: { count: malformed.count, samples: malformed.samples.map((m) => ({ source: m.source, line: m.line, reason: m.reason })) },
    ...(tally.falseSuccess.length > 0 && { false_success: tally.falseSuccess }),
    nodes,
    ...(metrics.length > 0 && { metrics }),
    ...(input.soak && input.soak.length > 0 && { soak: input.soak }),
    ...(rejected.length > 0 && { rejected }),
    ...(agg.noResult.length > 0 && { no_result: agg.noResult.map((n) => ({ ...n })) }),
    ...(dead.length > 0 && { dead }),
    ...(scenarios.length > 0 && { scenarios }),
    ...(prometheus && { prometheus: prometheus.section }),
  };
}

/** A soak checkpoint summary of a results file, for the trend table of later reports. */
export function soakCheckpointOf(checkpoint: string, results: ResultsJson): SoakCheckpoint {
  const rates: Record<string, number | null> = {};
  for (const [name, c] of Object.entries(results.categories)) rates[name] = c.rate;
  return { checkpoint, at: results.generated_at, verdict: results.verdict, rates };
}
