// What a running scenario knows and holds: variables, identities, marks, and what it changed
// on machines (partitions, background processes) so the end of the scenario can undo it.
import type { Fleet, FleetNode } from '../../fleet/types.js';
import type { ScenarioIO } from './io.js';
import type { Identity } from './guard.js';

export interface EngineContext {
  io: ScenarioIO;
  fleet: Fleet;
  binPath(node: FleetNode): string;
  log(line: string): void;
  signal?: AbortSignal;
  /** Whether nft runs on the machines (lab, root cloud/inventory nodes): partitions and path evidence. */
  nft: boolean;
}

export interface ScenarioState {
  vars: Record<string, string>;
  identities: Identity[];
  /** mark label -> node -> log file -> size in bytes at the mark */
  marks: Map<string, Map<string, Map<string, number>>>;
  /** nodes with a partition table installed */
  partitioned: Set<string>;
  /** background process name -> nodes it runs on */
  background: Map<string, Set<string>>;
}

export function newState(): ScenarioState {
  return { vars: {}, identities: [], marks: new Map(), partitioned: new Set(), background: new Map() };
}

/** What one step handler returns for one node (or the step as a whole). */
export interface NodeOutcome {
  node: string;
  ok: boolean;
  reason?: string;
  command?: string;
  exit?: number | null;
  output?: string;
  peerPackets?: number;
}

/** Service name of a background process (kept apart from the deployed `service`). */
export function processName(name: string): string {
  return name === 'service' ? 'service' : `bg-${name}`;
}
