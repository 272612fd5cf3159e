// results.json: the public, machine-readable outcome of a run, and the next run's baseline.
// The zod schema is the one definition: the TypeScript types are derived from it (what
// evaluate() produces) and it validates a file read back from disk (load.ts; lenient about extra
// keys and about fields older files lack, so they still load as baselines).
import { z } from 'zod';
import { NAT_TYPES, PATHS, ROLES } from '../config/model.js';
import { EVIDENCE } from './evidence.js';
import { scenarioResultSchema } from './scenario.js';

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

const num = z.number();
const pct = z.number().min(0).max(100);
const nullableNum = num.nullable();
const verdict = z.enum(VERDICTS);
const pathCounts = z.object({ direct: num, hole_punch: num, relay: num });

/** Rates, intervals, thresholds and deltas are percentages (0-100) / percentage points. */
const categorySchema = z.object({
  attempts: num,
  successes: num,
  rate: pct.nullable(),
  ci_low: pct.nullable(),
  ci_high: pct.nullable(),
  threshold: pct.nullable(),
  baseline_delta: nullableNum,
  judged: z.boolean(),
  /** true / false when judged, null when not */
  passed: z.boolean().nullable().default(null),
  note: z.string().optional(),
});

const pairSchema = z.object({
  suite: z.string().default('connectivity'),
  from: z.string(),
  to: z.string(),
  from_nat: z.enum(NAT_TYPES).nullable(),
  to_nat: z.enum(NAT_TYPES).nullable(),
  /** null when no plan says what to expect (then each attempt counts under its own path) */
  expected_path: z.enum(PATHS).nullable(),
  observed_path: z.enum(OBSERVED_PATHS),
  attempts: num,
  successes: num,
  /** attempts by the path the event named */
  attempt_paths: pathCounts.default({ direct: 0, hole_punch: 0, relay: 0 }),
  /** ok attempts by the path that worked */
  ok_paths: pathCounts.default({ direct: 0, hole_punch: 0, relay: 0 }),
  rtt_p50_ms: nullableNum,
  rtt_p95_ms: nullableNum,
  top_error: z.string().optional(),
  /** set when the pair is the same node or identity at both ends */
  false_success: z.string().optional(),
  /** attempts by what the network saw between the two ends (1.1) */
  evidence: z.record(z.enum(EVIDENCE), num).optional(),
  /** successes claimed that the network contradicted, and the first reason (1.1) */
  false_claims: num.optional(),
  false_claim: z.string().optional(),
  /** planned attempts the initiator printed nothing for (1.1) */
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
  /** percent, mean over the samples that reported loss; null when none did */
  loss: nullableNum,
  required_mbps: nullableNum,
  /** the Mbit/s criterion: true / false when min_mbps is set, null when not */
  passed: z.boolean().nullable(),
  /** set when the pair produced no measurement at all (1.1) */
  error: z.string().optional(),
  // Absent in files written before loss was judged.
  required_max_loss: pct.nullable().default(null),
  /** the loss criterion: null when max_loss is not set or the pair reported no loss (unjudgeable) */
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

const gossipSchema = z.object({
  messages: num,
  delivery: pct,
  min_delivery: pct,
  required_delivery: pct.nullable(),
  latency_p50_ms: nullableNum,
  latency_p95_ms: nullableNum,
  /** bound on latency_p95_ms (ms); null when none (or in files written before it existed) */
  required_p95_ms: nullableNum.default(null),
  /** latency_p95_ms <= required_p95_ms; null when not judged */
  p95_passed: z.boolean().nullable().default(null),
  max_hops: num,
  per_message: z.array(gossipMessageSchema),
});

const nodeSchema = z.object({ name: z.string(), role: z.enum(ROLES).nullable(), nat: z.enum(NAT_TYPES).nullable(), status: z.enum(['ok', 'unreachable']) });
const metricSchema = z.object({ node: z.string(), name: z.string(), count: num, last: num, min: num, max: num });
const soakCheckpointSchema = z.object({
  checkpoint: z.string(),
  at: z.string(),
  verdict,
  rates: z.record(z.string(), pct.nullable()),
  /** a soak run by the pipeline: per category, the change against the first checkpoint and the baseline (points) */
  trend: z.record(z.string(), z.object({ vs_first: nullableNum, vs_baseline: nullableNum, regressed: z.boolean() })).optional(),
});
/** Events the gate refused, by kind (1.1). */
const rejectedSchema = z.object({ finding: z.string(), count: num, samples: z.array(z.string()) });
/** A NAT-type class or node pair that never succeeded on its expected path (1.1); worse_paths: worse paths that did work. */
const deadSchema = z.object({ kind: z.enum(['class', 'pair']), name: z.string(), attempts: num, expected_path: z.enum(PATHS).nullable(), worse_paths: z.array(z.enum(PATHS)) });
const criteriaSchema = z.object({
  thresholds: z.record(z.string(), pct),
  min_attempts: num,
  regression_tolerance: num,
  min_mbps: nullableNum,
  min_delivery: nullableNum,
  /** highest mean loss per throughput pair, percent (absent in files written before it was judged) */
  max_loss: pct.nullable().default(null),
  /** bound on the overall gossip delivery latency p95, ms */
  gossip_p95_ms: nullableNum.default(null),
  /** what a dead class or pair does to the verdict (1.1) */
  dead_class: z.enum(['degraded', 'fail']).optional(),
  /** malformed lines tolerated before the verdict is 'error' (1.1) */
  malformed_tolerance: num.optional(),
});

export const resultsJsonSchema = z.object({
  schema: z.enum(READABLE_SCHEMAS),
  verdict,
  reasons: z.array(z.string()),
  generated_at: z.string(),
  run_id: z.string().optional(),
  project: z.string().optional(),
  criteria: criteriaSchema
    .default({ thresholds: {}, min_attempts: 0, regression_tolerance: 0, min_mbps: null, min_delivery: null, max_loss: null, gossip_p95_ms: null }),
  baseline: z.object({ generated_at: z.string(), run_id: z.string().optional(), verdict }).optional(),
  categories: z.record(z.string(), categorySchema),
  pairs: z.array(pairSchema),
  latency: z.object({ p50_ms: nullableNum, p95_ms: nullableNum, samples: num.default(0) }),
  throughput: z.array(throughputSchema).default([]),
  gossip: gossipSchema
    .nullable()
    .default(null),
  malformed: z.object({ count: num, samples: z.array(z.object({ source: z.string(), line: num, reason: z.string() })) }),
  false_success: z.array(z.object({ suite: z.string(), from: z.string(), to: z.string(), count: num, reason: z.string() })).optional(),
  nodes: z.array(nodeSchema).optional(),
  metrics: z.array(metricSchema).optional(),
  soak: z.array(soakCheckpointSchema).optional(),
  rejected: z.array(rejectedSchema).optional(),
  no_result: z.array(z.object({ suite: z.string(), from: z.string(), to: z.string().optional(), msg: z.string().optional(), detail: z.string() })).optional(),
  dead: z.array(deadSchema).optional(),
  /** scenario suites, step by step */
  scenarios: z.array(scenarioResultSchema).optional(),
  prometheus: z
    .object({
      endpoint: z.string().optional(),
      scrapes: z.array(z.object({ checkpoint: z.string(), node: z.string(), at: z.string(), ok: z.boolean(), error: z.string().optional(), samples: num, evidence: z.string().optional() })),
      criteria: z.array(z.object({ criterion: z.string(), checkpoint: z.string(), passed: z.boolean(), values: z.record(z.string(), nullableNum), aggregate: nullableNum.optional(), failures: z.array(z.string()) })),
    })
    .optional(),
});

export type CategoryResult = z.output<typeof categorySchema>;
export type PairResult = z.output<typeof pairSchema>;
export type RejectedResult = z.output<typeof rejectedSchema>;
export type DeadResult = z.output<typeof deadSchema>;
export type ThroughputResult = z.output<typeof throughputSchema>;
export type GossipMessageResult = z.output<typeof gossipMessageSchema>;
export type GossipResult = z.output<typeof gossipSchema>;
export type NodeResult = z.output<typeof nodeSchema>;
export type SoakCheckpoint = z.output<typeof soakCheckpointSchema>;
export type MetricResult = z.output<typeof metricSchema>;
export type CriteriaResult = z.output<typeof criteriaSchema>;
/** results.json as evaluate() writes it and load.ts reads it back. */
export type ResultsJson = z.output<typeof resultsJsonSchema>;
