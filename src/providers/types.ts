// What a provider hands to every later stage: machines reachable over SSH with known host keys.
import type { Fleet } from '../fleet/types.js';

export type { Fleet, FleetNode, SshEndpoint } from '../fleet/types.js';
import type { Plan } from '../plan/types.js';

export interface RunContext {
  runId: string;
  /** .vps-test/runs/<run-id>/ */
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

export interface RunResources {
  runId: string;
  provider: string;
  resources: string[];
  expiresAt?: number;
}

export interface Provider {
  /** Can this provider host the plan here (privileges, tools, credentials)? Runs before the build. */
  check?(plan: Plan, run: RunContext): Promise<void>;
  provision(plan: Plan, run: RunContext): Promise<Fleet>;
  destroy(run: RunContext): Promise<void>;
  list(filter?: { runId?: string }): Promise<RunResources[]>;
}
