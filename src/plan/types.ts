// The Plan: what will run, where, and what passes. Produced by plan/ from Config + choices;
// consumed by every later stage and by the report renderers.
import type { Arch, Impairment, Internet, NatType, PathKind, Role } from '../config/model.js';

export const FOCUSES = ['connectivity', 'nat-traversal', 'gossip', 'throughput', 'full-suite'] as const;
export type Focus = (typeof FOCUSES)[number];
export const CRITERIA_MODES = ['all-pass', 'threshold', 'improvement', 'custom'] as const;
export type CriteriaMode = (typeof CRITERIA_MODES)[number];
export const PROOFS = ['logs', 'metrics', 'manual-verify', 'all-evidence'] as const;
export type Proof = (typeof PROOFS)[number];

export interface Choices {
  project: string;
  focus: Focus;
  criteria: CriteriaMode;
  proof: Proof;
}

export interface PlannedNode {
  name: string;
  role: Role;
  nat: NatType;
  arch: Arch;
  region?: string;
  impair?: Impairment;
  hairpin?: boolean;
  /** inventory provider only */
  host?: string;
  port?: number;
  user?: string;
  hostKey?: string;
}

export interface PlannedPair {
  from: string;
  to: string;
  expectedPath: PathKind;
}

export interface PlannedSuite {
  name: string; // connectivity | nat-traversal | relay | throughput | gossip | scenario:<name>
  trials: number;
  pairs: PlannedPair[];
}

/** Threshold per category, in percent of attempts (e.g. nat_traversed: 85). */
export type Thresholds = Record<string, number>;

export interface Plan {
  choices: Choices;
  provider: 'local' | 'digitalocean' | 'inventory';
  nodes: PlannedNode[];
  /** The local lab's internet (hops, round trips); absent: the lab's defaults. */
  internet?: Internet;
  suites: PlannedSuite[];
  /** Pass-rate thresholds per category; empty categories are not judged. */
  thresholds: Thresholds;
  /** Minimum attempts in a category before it can be judged. */
  minAttempts: number;
  regressionTolerance: number;
  throughput?: { seconds: number; minMbps?: number; /** percent */ maxLoss?: number };
  gossip?: { minDelivery?: number; /** delivery latency p95 bound, ms */ maxP95Ms?: number };
  binary: { kind: string; description: string; targets: string[] };
  estimate: { nodeMinutes: number; costUsd?: number };
}
