// What a provider hands to every later stage: machines reachable over SSH with known host keys.
import type { Fleet } from '../fleet/types.js';
import type { SshPool } from '../ssh/index.js';

export type { Fleet, FleetNode, SshEndpoint } from '../fleet/types.js';
import type { Plan } from '../plan/types.js';

export interface RunContext {
  runId: string;
  /** .vps-test/runs/<run-id>/ ('' when the run has no folder here, e.g. `down RUN` from another machine) */
  runDir: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /**
   * The run's SSH client key when the caller chose it (CI: derived from VPS_TEST_SSH_SECRET,
   * docs/architecture.md "Keys across jobs"); a provider that makes the nodes' login key uses
   * it instead of generating one. Never written to the run's state.
   */
  clientKey?: { privateKey: string; publicKey: string };
}

/** A machine a provider bills for (a droplet): what `status` shows as the provider's view. */
export interface CloudMachine {
  id: string;
  name: string;
  status: string;
  region?: string;
  size?: string;
  createdAt: string;
  /** From the run's expiry tag, ms since the epoch. */
  expiresAt?: number;
  /** Price per hour of this machine (the provider's sizes list). */
  hourlyUsd?: number;
}

export interface RunResources {
  runId: string;
  provider: string;
  resources: string[];
  /** ms since the epoch */
  expiresAt?: number;
  /** Billed machines, for the cloud providers. */
  machines?: CloudMachine[];
}

/** Packets per remote address a machine's public side counted (docs/architecture.md, "Path evidence"). */
export interface MachineCounters {
  in: Map<string, number>;
  out: Map<string, number>;
}

/**
 * What the suites do between trials on a provider's own machines (docs/architecture.md, "Path
 * evidence"), when the lab's in-process way does not reach them: over SSH.
 */
export interface TrialOps {
  /** Every NAT forgets its state: the recipe's cone map/set and the connections of the node behind it. */
  flushNat(): Promise<void>;
  /** Counters per node since the last read; a node left out was not measured this round. */
  readEvidence(): Promise<Map<string, MachineCounters>>;
}

export interface Provider {
  /** Can this provider host the plan here (privileges, tools, credentials)? Runs before the build. */
  check?(plan: Plan, run: RunContext): Promise<void>;
  provision(plan: Plan, run: RunContext): Promise<Fleet>;
  destroy(run: RunContext): Promise<void>;
  list(filter?: { runId?: string }): Promise<RunResources[]>;
  /** Trial independence and path evidence on this provider's machines; absent: the lab's own (local). */
  trials?(fleet: Fleet, pool: SshPool, run: RunContext): TrialOps;
}
