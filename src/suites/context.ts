// What every suite gets: the fleet, the shared SSH pool, where the subject binary is on each
// node, the rendezvous server, and a sink for result events.
import type { Fleet, FleetNode } from '../fleet/types.js';
import type { Plan } from '../plan/types.js';
import type { SshPool } from '../ssh/index.js';
import type { EventSink } from './sink.js';
import type { RoundCounters } from '../results/evidence.js';

export interface SuiteContext {
  fleet: Fleet;
  pool: SshPool;
  plan: Plan;
  /** Remote path of the deployed subject binary on a node. */
  binPath(node: FleetNode): string;
  /** Rendezvous + relay address (the agent driver's bootstrap `serve`; empty ip otherwise). */
  server: { ip: string; port: number };
  events: EventSink;
  /** Empties the NAT tables between rounds, so each trial starts from a clean mapping (lab). */
  flushNat(): Promise<void>;
  /** The provider's own counters read (cloud, inventory: over SSH); absent: the lab's reader. */
  readEvidence?(): Promise<RoundCounters>;
  log(line: string): void;
  signal?: AbortSignal;
}

export function nodeByName(fleet: Fleet, name: string): FleetNode {
  const node = fleet.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node named ${name} in the fleet`);
  return node;
}
