// The Plan: what will run, where, and what passes. Produced by plan/ from Config + choices;
// consumed by every later stage and by the report renderers.
import type { Arch, Impairment, Internet, NatType, PathKind, Role } from '../config/model.js';
import type { Scenario } from '../config/scenario.js';
import type { MetricsConfig } from '../config/metrics.js';
import type { BuildConfig } from '../build/types.js';
import type { PlannedRotation } from './rotation.js';

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
  /** digitalocean: droplet size slug */
  size?: string;
  impair?: Impairment;
  hairpin?: boolean;
  /** lab only: the NAT the node's own router sits behind (a double NAT) */
  behind?: NatType;
  /** local lab: the node runs in a VM (docs/architecture.md, "VM machines") */
  machine?: 'vm';
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
  /** per-attempt timeout of a pair suite, ms (every planned pair suite has it: pairTimeout) */
  timeoutMs?: number;
  /** the agent's rounds of a big fleet each probe a subset of pairs (docs/architecture.md, "Pair rotation") */
  rotation?: PlannedRotation;
}

/** How the suites reach the program under test (docs/architecture.md, "Subject drivers"). */
export type PlannedSubject =
  | { driver: 'agent'; port: number; relay: boolean }
  | {
      driver: 'command' | 'events';
      connect?: { run: string; exit: number; stdout?: string; stderr?: string; withinMs?: number };
      events?: { run: string; file?: string };
      throughput?: { run: string; mbps?: string };
      gossip?: { publish: string; received: string };
    };

export interface PlannedService {
  command: string;
  ready?: { log?: string; tcp?: number; udp?: number; http?: string; timeoutMs: number };
}

/** Threshold per category, in percent of attempts (e.g. nat_traversed: 85). */
export type Thresholds = Record<string, number>;

export type VmAccelChoice = 'auto' | 'kvm' | 'tcg';

export interface Plan {
  choices: Choices;
  provider: 'local' | 'digitalocean' | 'inventory';
  nodes: PlannedNode[];
  /** The local lab's internet (hops, round trips); absent: the lab's defaults. */
  internet?: Internet;
  /** VM machines' accelerator: auto (hardware KVM when it works, else software emulation), or required */
  vmAccel?: VmAccelChoice;
  suites: PlannedSuite[];
  /** Pass-rate thresholds per category; empty categories are not judged. */
  thresholds: Thresholds;
  /** Minimum attempts in a category before it can be judged. */
  minAttempts: number;
  regressionTolerance: number;
  /** a NAT-type class or node pair that never succeeds: 'degraded' (default) or 'fail' */
  deadClass?: 'degraded' | 'fail';
  /** malformed lines tolerated before the verdict is 'error' (default 0) */
  malformedTolerance?: number;
  subject: PlannedSubject;
  /** the long-running process started on every node before the tests */
  service?: PlannedService;
  throughput?: { seconds: number; pairs: [string, string][]; minMbps?: number; /** percent */ maxLoss?: number };
  gossip?: { origins: string[]; fanout: number; durationMs: number; minDelivery?: number; /** delivery latency p95 bound, ms */ maxP95Ms?: number };
  /** scenario suites' steps, by name (the planned `scenario:<name>` suites) */
  scenarios?: Record<string, Scenario>;
  /** Prometheus endpoints scraped through SSH, with criteria on the samples */
  metrics?: MetricsConfig;
  /** soak checkpoints, each `afterMs` after the first test ended, in order (docs/architecture.md "Soak") */
  soak?: { checkpoints: { name: string; afterMs: number }[]; regressionTolerance: number };
  /** what the build stage builds (targets defaulted from the nodes' architectures) */
  build: BuildConfig;
  /** the journal file to insert an entry into, relative to the project directory */
  journal?: string;
  binary: { kind: string; description: string; targets: string[] };
  estimate: { nodeMinutes: number; costUsd?: number };
  /** provider digitalocean: fleet-wide droplet settings (nodes may override region and size). */
  digitalocean?: { region: string; size: string; image: string; ttlMs: number; /** fleet.digitalocean.boot_timeout when not the provider's default (5 min) */ bootTimeoutMs?: number };
}

/** The per-attempt timeout of a planned pair suite; the planner always sets it. */
export function pairTimeout(suite: PlannedSuite): number {
  if (suite.timeoutMs === undefined) throw new Error(`suite ${suite.name} was planned without a per-attempt timeout`);
  return suite.timeoutMs;
}
