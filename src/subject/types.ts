// One interface the suites use to reach the program under test, whatever it is
// (docs/architecture.md, "Subject drivers"). A driver runs processes on nodes and hands what they
// printed, or what it made of them, to the gate; it never decides what counts.
import type { Fleet, FleetNode } from '../fleet/types.js';
import type { Plan, PlannedSuite } from '../plan/types.js';
import type { SshPool } from '../ssh/index.js';
import type { Gate, Outcome } from '../results/gate.js';

export interface DriverContext {
  fleet: Fleet;
  pool: SshPool;
  plan: Plan;
  binPath(node: FleetNode): string;
  /** rendezvous + relay of the agent driver (empty ip for other drivers) */
  server: { ip: string; port: number };
  gate: Gate;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface SubjectDriver {
  readonly name: 'agent' | 'command' | 'events';
  /** what runs on a node, for reasons: "fullcone's probe exited 3" */
  readonly process: { pairs: string; throughput: string; gossip: string };
  /** the driver reports no path of its own: the path evidence decides it */
  readonly pathFromEvidence: boolean;
  /** Unplanned pairs a round attempts anyway (the gate drops their results, never counts them). */
  byproducts?(suite: PlannedSuite): { from: string; to: string }[];
  /** One round of a pair suite: every planned pair attempted once. Outcomes by node. */
  pairRound(ctx: DriverContext, suite: PlannedSuite, round: number): Promise<Map<string, Outcome>>;
  /** Starts what throughput targets need (the agent's sinks); returns the cleanup. */
  prepareThroughput?(ctx: DriverContext, targets: FleetNode[]): Promise<() => Promise<void>>;
  throughputPair(ctx: DriverContext, from: FleetNode, to: FleetNode, seconds: number): Promise<Outcome>;
  /** One message from `origin`; outcomes by node. */
  gossip(ctx: DriverContext, origin: FleetNode, msg: string, durationMs: number): Promise<Map<string, Outcome>>;
}
