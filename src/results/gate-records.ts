// Records the gate writes into results.jsonl next to the events it lets through
// (docs/architecture.md, "The gate"). Subjects never print these: a line of type "gate" from a
// node is malformed there (the gate validates node lines as protocol v1 events only).

export const GATE_FINDINGS = ['malformed', 'forged', 'unplanned', 'duplicate', 'identity_reuse'] as const;
export type GateFinding = (typeof GATE_FINDINGS)[number];

export interface GateFindingRecord {
  v: 1;
  type: 'gate';
  finding: GateFinding;
  node: string;
  detail: string;
  line?: number;
}

/** A planned throughput pair or gossip origin that produced nothing. */
export interface GateNoResultRecord {
  v: 1;
  type: 'gate';
  finding: 'no_result';
  suite: 'throughput' | 'gossip';
  from?: string;
  to?: string;
  origin?: string;
  msg?: string;
  detail: string;
}

export type GateRecord = GateFindingRecord | GateNoResultRecord;
