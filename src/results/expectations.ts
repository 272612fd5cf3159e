// What evaluation needs to know of the plan: the planned nodes and pairs, and what passes. The
// Plan satisfies it structurally; results/ keeps its own view so it never imports plan/ (the
// arrows run one way: plan -> results, docs/architecture.md "Folders").
import type { NatType, PathKind, Role } from '../config/model.js';

export type Thresholds = Record<string, number>;

export interface ExpectedPair {
  from: string;
  to: string;
  expectedPath: PathKind;
}

export interface Expectations {
  choices: { project: string };
  nodes: readonly { name: string; role: Role; nat: NatType }[];
  suites: readonly { name: string; pairs: readonly ExpectedPair[] }[];
  thresholds: Thresholds;
  minAttempts: number;
  regressionTolerance: number;
  deadClass?: 'degraded' | 'fail';
  malformedTolerance?: number;
  throughput?: { minMbps?: number; maxLoss?: number };
  gossip?: { minDelivery?: number; maxP95Ms?: number };
}
