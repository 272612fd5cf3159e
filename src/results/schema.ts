// results.json: the public, machine-readable outcome of a run, and the next run's baseline.
// The TypeScript type is what evaluate() produces; the zod schema validates a baseline file
// read from disk (lenient about extra keys so newer files still load as baselines).
import { z } from 'zod';
import { NAT_TYPES, PATHS, ROLES, type NatType, type PathKind, type Role } from '../config/model.js';
import { EVIDENCE, type Evidence } from './evidence.js';
import { scenarioResultSchema, type ScenarioResult } from './scenario.js';
import type { MetricsSection } from '../metrics/criteria.js';

/**
 * 1.1 (additive over 1): pairs[].evidence (attempts by what the network saw), pairs[].false_claims,
 * pairs[].missing, rejected (events the gate refused), no_result, dead (classes and pairs that
 * never succeeded). Readers of 1 keep working; files of 1 still load as baselines.
 */
export const RESULTS_SCHEMA = 'vps-test/results@1.1';
export const READABLE_SCHEMAS = ['vps-test/results@1', RESULTS_SCHEMA] as const;
export const VERDICTS = ['pass', 'fail', 'degraded', 'error'] as const;
export type Verdict = (typeof VERDICTS)[number];
export const OBSERVED_PATHS = [...PATHS, 'failed', 'none'] as const;
export type ObservedPath = (typeof OBSERVED_PATHS)[number];

/** Rates, intervals, thresholds and deltas are percentages (0-100) / percentage points. */
export interface CategoryResult {
  attempts: number;
  successes: number;
  rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  threshold: number | null;
  baseline_delta: number | null;
  judged: boolean;
  /** true / false when judged, null when not */
  passed: boolean | null;
  note?: string;
}

export interface PairResult {
  suite: string;
  from: string;
  to: string;
  from_nat: NatType | null;
  to_nat: NatType | null;
  /** null when no plan says what to expect (then each attempt counts under its own path) */
  expected_path: PathKind | null;
  observed_path: ObservedPath;
  attempts: number;
  successes: number;
  /** attempts by the path the event named */
  attempt_paths: Record<PathKind, number>;
  /** ok attempts by the path that worked */
  ok_paths: Record<PathKind, number>;
  rtt_p50_ms: number | null;
  rtt_p95_ms: number | null;
  top_error?: string;
  /** set when the pair is the same node or identity at both ends */
  false_success?: string;
  /** attempts by what the network saw between the two ends (1.1) */
  evidence?: Record<Evidence, number>;
  /** successes claimed that the network contradicted, and the first reason (1.1) */
  false_claims?: number;
  false_claim?: string;
  /** planned attempts the initiator printed nothing for (1.1) */
  missing?: number;
}

/** Events the gate refused, by kind (1.1). */
export interface RejectedResult {
  finding: string;
  count: number;
  samples: string[];
}

/** A NAT-type class or node pair that never succeeded on its expected path (1.1). */
export interface DeadResult {
  kind: 'class' | 'pair';
  name: string;
  attempts: number;
  expected_path: PathKind | null;
  /** worse paths that did work, e.g. relay where a punch was expected */
  worse_paths: PathKind[];
}

export interface ThroughputResult {
  from: string;
  to: string;
  samples: number;
  mbps: number;
  min_mbps: number;
  max_mbps: number;
  bytes: number;
  seconds: number;
  /** percent, mean over the samples that reported loss; null when none did */
  loss: number | null;
  required_mbps: number | null;
  /** the Mbit/s criterion: true / false when min_mbps is set, null when not */
  passed: boolean | null;
  /** set when the pair produced no measurement at all (1.1) */
  error?: string;
  /** max_loss in force (percent); null when none (or in files written before it existed) */
  required_max_loss: number | null;
  /** the loss criterion: null when max_loss is not set or the pair reported no loss (unjudgeable) */
  loss_passed: boolean | null;
}

export interface GossipMessageResult {
  msg: string;
  origin: string;
  delivered: number;
  expected: number;
  delivery: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  max_hops: number;
  duplicates: number;
}

export interface GossipResult {
  messages: number;
  delivery: number;
  min_delivery: number;
  required_delivery: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** bound on latency_p95_ms (ms); null when none */
  required_p95_ms: number | null;
  /** latency_p95_ms <= required_p95_ms; null when not judged */
  p95_passed: boolean | null;
  max_hops: number;
  per_message: GossipMessageResult[];
}

export interface NodeResult {
  name: string;
  role: Role | null;
  nat: NatType | null;
  status: 'ok' | 'unreachable';
}

export interface SoakCheckpoint {
  checkpoint: string;
  at: string;
  verdict: Verdict;
  rates: Record<string, number | null>;
  /** a soak run by the pipeline: per category, the change against the first checkpoint and the baseline (points) */
  trend?: Record<string, { vs_first: number | null; vs_baseline: number | null; regressed: boolean }>;
}

export interface MetricResult {
  node: string;
  name: string;
  count: number;
  last: number;
  min: number;
  max: number;
}

export interface CriteriaResult {
  thresholds: Record<string, number>;
  min_attempts: number;
  regression_tolerance: number;
  min_mbps: number | null;
  min_delivery: number | null;
  /** highest mean loss per throughput pair, percent */
  max_loss: number | null;
  /** bound on the overall gossip delivery latency p95, ms */
  gossip_p95_ms: number | null;
  /** what a dead class or pair does to the verdict (1.1) */
  dead_class?: 'degraded' | 'fail';
  /** malformed lines tolerated before the verdict is 'error' (1.1) */
  malformed_tolerance?: number;
}

export interface ResultsJson {
  schema: (typeof READABLE_SCHEMAS)[number];
  verdict: Verdict;
  reasons: string[];
  generated_at: string;
  run_id?: string;
  project?: string;
  criteria: CriteriaResult;
  baseline?: { generated_at: string; run_id?: string; verdict: Verdict };
  categories: Record<string, CategoryResult>;
  pairs: PairResult[];
  latency: { p50_ms: number | null; p95_ms: number | null; samples: number };
  throughput: ThroughputResult[];
  gossip: GossipResult | null;
  malformed: { count: number; samples: { source: string; line: number; reason: string }[] };
  false_success?: { suite: string; from: string; to: string; count: number; reason: string }[];
  nodes?: NodeResult[];
  metrics?: MetricResult[];
  soak?: SoakCheckpoint[];
  rejected?: RejectedResult[];
  no_result?: { suite: string; from: string; to?: string; msg?: string; detail: string }[];
  dead?: DeadResult[];
  /** scenario suites, step by step */
  scenarios?: ScenarioResult[];
  /** Prometheus scrapes and metric criteria */
  prometheus?: MetricsSection;
}

const num = z.number();
const pct = z.number().min(0).max(100);
const nullableNum = num.nullable();
const verdict = z.enum(VERDICTS);
const pathCounts = z.object({ direct: num, hole_punch: num, relay: num });

const categorySchema = z.object({
  attempts: num,
  successes: num,
  rate: pct.nullable(),
  ci_low: pct.nullable(),
  ci_high: pct.nullable(),
  threshold: pct.nullable(),
  baseline_delta: nullableNum,
  judged: z.boolean(),
  passed: z.boolean().nullable().default(null),
  note: z.string().optional(),
});

const pairSchema = z.object({
  suite: z.string().default('connectivity'),
  from: z.string(),
  to: z.string(),
  from_nat: z.enum(NAT_TYPES).nullable(),
  to_nat: z.enum(NAT_TYPES).nullable(),
  expected_path: z.enum(PATHS).nullable(),
  observed_path: z.enum(OBSERVED_PATHS),
  attempts: num,
  successes: num,
  attempt_paths: pathCounts.default({ direct: 0, hole_punch: 0, relay: 0 }),
  ok_paths: pathCounts.default({ direct: 0, hole_punch: 0, relay: 0 }),
  rtt_p50_ms: nullableNum,
  rtt_p95_ms: nullableNum,
  top_error: z.string().optional(),
  false_success: z.string().optional(),
  evidence: z.record(z.enum(EVIDENCE), num).optional(),
  false_claims: num.optional(),
  false_claim: z.string().optional(),
  missing: num.optional(),
});

const throughputSchema = z.object({
  from: z.string(),
  to: z.string(),
  samples: num,
  mbps: num,
  min_mbps: num,
  max_mbps: num,
  bytes: num,
  seconds: num,
  loss: nullableNum,
  required_mbps: nullableNum,
  passed: z.boolean().nullable(),
  error: z.string().optional(),
  // Absent in files written before loss was judged.
  required_max_loss: pct.nullable().default(null),
  loss_passed: z.boolean().nullable().default(null),
});

const gossipMessageSchema = z.object({
  msg: z.string(),
  origin: z.string(),
  delivered: num,
  expected: num,
  delivery: pct,
  latency_p50_ms: nullableNum,
  latency_p95_ms: nullableNum,
  max_hops: num,
  duplicates: num,
});

export const resultsJsonSchema = z.object({
  schema: z.enum(READABLE_SCHEMAS),
  verdict,
  reasons: z.array(z.string()),
  generated_at: z.string(),
  run_id: z.string().optional(),
  project: z.string().optional(),
  criteria: z
    .object({
      thresholds: z.record(z.string(), pct),
      min_attempts: num,
      regression_tolerance: num,
      min_mbps: nullableNum,
      min_delivery: nullableNum,
      // Absent in files written before these criteria were judged.
      max_loss: pct.nullable().default(null),
      gossip_p95_ms: nullableNum.default(null),
      dead_class: z.enum(['degraded', 'fail']).optional(),
      malformed_tolerance: num.optional(),
    })
    .default({ thresholds: {}, min_attempts: 0, regression_tolerance: 0, min_mbps: null, min_delivery: null, max_loss: null, gossip_p95_ms: null }),
  baseline: z.object({ generated_at: z.string(), run_id: z.string().optional(), verdict }).optional(),
  categories: z.record(z.string(), categorySchema),
  pairs: z.array(pairSchema),
  latency: z.object({ p50_ms: nullableNum, p95_ms: nullableNum, samples: num.default(0) }),
  throughput: z.array(throughputSchema).default([]),
  gossip: z
    .object({
      messages: num,
      delivery: pct,
      min_delivery: pct,
      required_delivery: pct.nullable(),
      latency_p50_ms: nullableNum,
      latency_p95_ms: nullableNum,
      required_p95_ms: nullableNum.default(null),
      p95_passed: z.boolean().nullable().default(null),
      max_hops: num,
      per_message: z.array(gossipMessageSchema),
    })
    .nullable()
    .default(null),
  malformed: z.object({ count: num, samples: z.array(z.object({ source: z.string(), line: num, reason: z.string() })) }),
  false_success: z.array(z.object({ suite: z.string(), from: z.string(), to: z.string(), count: num, reason: z.string() })).optional(),
  nodes: z.array(z.object({ name: z.string(), role: z.enum(ROLES).nullable(), nat: z.enum(NAT_TYPES).nullable(), status: z.enum(['ok', 'unreachable']) })).optional(),
  metrics: z.array(z.object({ node: z.string(), name: z.string(), count: num, last: num, min: num, max: num })).optional(),
  soak: z
    .array(
      z.object({
        checkpoint: z.string(),
        at: z.string(),
        verdict,
        rates: z.record(z.string(), pct.nullable()),
        trend: z.record(z.string(), z.object({ vs_first: nullableNum, vs_baseline: nullableNum, regressed: z.boolean() })).optional(),
      }),
    )
    .optional(),
  rejected: z.array(z.object({ finding: z.string(), count: num, samples: z.array(z.string()) })).optional(),
  no_result: z.array(z.object({ suite: z.string(), from: z.string(), to: z.string().optional(), msg: z.string().optional(), detail: z.string() })).optional(),
  dead: z.array(z.object({ kind: z.enum(['class', 'pair']), name: z.string(), attempts: num, expected_path: z.enum(PATHS).nullable(), worse_paths: z.array(z.enum(PATHS)) })).optional(),
  scenarios: z.array(scenarioResultSchema).optional(),
  prometheus: z
    .object({
      endpoint: z.string().optional(),
      scrapes: z.array(z.object({ checkpoint: z.string(), node: z.string(), at: z.string(), ok: z.boolean(), error: z.string().optional(), samples: num, evidence: z.string().optional() })),
      criteria: z.array(z.object({ criterion: z.string(), checkpoint: z.string(), passed: z.boolean(), values: z.record(z.string(), nullableNum), aggregate: nullableNum.optional(), failures: z.array(z.string()) })),
    })
    .optional(),
});
