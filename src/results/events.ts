// Result events, protocol v1 (docs/architecture.md, "Result events"): one JSON object per line.
import type { PathKind } from '../config/model.js';
import type { Evidence } from './evidence.js';

export interface AttemptEvent {
  v: 1;
  type: 'attempt';
  suite: string;
  from: string;
  to: string;
  path: PathKind;
  ok: boolean;
  rtt_ms?: number;
  error?: string;
  /** Optional identities of the two ends (e.g. peer ids); equal identities are false success. */
  from_id?: string;
  to_id?: string;
  trial?: number;
  /** Written by the gate (docs/architecture.md, "Path evidence"): what the network saw this round. */
  evidence?: Evidence;
  /** Written by the gate: the subject claimed success, the network disagreed (why). */
  false_success?: string;
  claimed_ok?: boolean;
  /** Written by the gate: the initiator printed nothing for this planned pair. */
  missing?: boolean;
}

export interface ThroughputEvent {
  v: 1;
  type: 'throughput';
  from: string;
  to: string;
  bytes: number;
  seconds: number;
  mbps: number;
  loss?: number;
}

export interface GossipEvent {
  v: 1;
  type: 'gossip';
  msg: string;
  origin: string;
  node: string;
  hops: number;
  latency_ms: number;
}

export interface MetricEvent {
  v: 1;
  type: 'metric';
  node: string;
  name: string;
  value: number;
}

export type ResultEvent = AttemptEvent | ThroughputEvent | GossipEvent | MetricEvent;
