// Incremental aggregation of result events: feed events one at a time, read totals at the end.
// Plan-independent (expected paths are applied in evaluate.ts), pure, and bounded: memory grows
// with the number of distinct pairs / messages / metrics, never with the number of events.
import type { PathKind } from '../config/model.js';
import type { AttemptEvent, GossipEvent, MetricEvent, ResultEvent, ThroughputEvent } from './events.js';
import { BoundedQuantiles } from './quantiles.js';
import type { MalformedLine, ReadItem } from './reader.js';
import { EVIDENCE, type Evidence } from './evidence.js';
import type { GateFinding, GateRecord } from './gate-records.js';
import type { MetricResult } from './schema.js';

/** Malformed-line samples kept for the report (the count is always exact). */
export const MALFORMED_SAMPLES = 20;
/** Distinct error strings kept per pair (the rest are counted as "other"). */
const ERROR_KINDS_PER_PAIR = 5;

export type PathCounts = Record<PathKind, number>;

export interface PairStats {
  suite: string;
  from: string;
  to: string;
  attempts: number;
  /** attempts by the path the event names (tried, or used when ok) */
  attemptsByPath: PathCounts;
  /** ok attempts by the path that worked (false successes excluded) */
  okByPath: PathCounts;
  /** attempts that claimed a result between a node and itself */
  falseSuccess: number;
  falseSuccessReason?: string;
  /** round-trip times of ok attempts */
  rtt: BoundedQuantiles;
  /** error string -> count (bounded; overflow under "other") */
  errors: Map<string, number>;
  /** attempts by what the network saw (gate-written streams only) */
  evidence: Record<Evidence, number>;
  /** successes the subject claimed and the network contradicted */
  falseClaims: number;
  falseClaimReason?: string;
  /** planned attempts the initiator printed nothing for */
  missing: number;
}

/** Events the gate rejected, by kind, with the first few named. */
export interface FindingStats {
  count: number;
  samples: string[];
}

/** A planned throughput pair / gossip origin that produced nothing, and why. */
export interface NoResult {
  suite: 'throughput' | 'gossip';
  from: string;
  to?: string;
  msg?: string;
  detail: string;
}

export interface ThroughputStats {
  from: string;
  to: string;
  samples: number;
  sumMbps: number;
  minMbps: number;
  maxMbps: number;
  bytes: number;
  seconds: number;
  lossSum: number;
  lossSamples: number;
}

export interface GossipStats {
  msg: string;
  origin: string;
  /** distinct receivers other than the origin */
  delivered: Set<string>;
  /** repeated deliveries to a node that already had the message */
  duplicates: number;
  latency: BoundedQuantiles;
  maxHops: number;
  sumHops: number;
}

/** Per (node, metric name): the same shape results.json reports. */
export type MetricStats = MetricResult;

function zeroEvidence(): Record<Evidence, number> {
  return Object.fromEntries(EVIDENCE.map((e) => [e, 0])) as Record<Evidence, number>;
}

function zeroCounts(): PathCounts {
  return { direct: 0, hole_punch: 0, relay: 0 };
}

export class Aggregator {
  readonly pairs = new Map<string, PairStats>();
  readonly throughput = new Map<string, ThroughputStats>();
  readonly gossip = new Map<string, GossipStats>();
  readonly metrics = new Map<string, MetricStats>();
  /** every node name seen in any event, in first-seen order */
  readonly nodes = new Set<string>();
  /** latency of every ok attempt, all pairs */
  readonly latency = new BoundedQuantiles(4096);
  readonly gossipLatency = new BoundedQuantiles(4096);
  readonly counts = { attempt: 0, throughput: 0, gossip: 0, metric: 0 };
  malformedCount = 0;
  readonly malformedSamples: MalformedLine[] = [];
  readonly findings = new Map<Exclude<GateFinding, 'malformed'>, FindingStats>();
  readonly noResult: NoResult[] = [];

  /** Number of valid events fed so far. */
  get events(): number {
    return this.counts.attempt + this.counts.throughput + this.counts.gossip + this.counts.metric;
  }

  /** Feeds one item from the reader (event or malformed line). */
  addItem(item: ReadItem): void {
    if (item.ok) this.add(item.event);
    else this.addMalformed(item.malformed);
  }

  addMalformed(line: MalformedLine): void {
    this.malformedCount++;
    if (this.malformedSamples.length < MALFORMED_SAMPLES) this.malformedSamples.push(line);
  }

  add(event: ResultEvent | GateRecord): void {
    switch (event.type) {
      case 'gate':
        return this.addGate(event);
      case 'attempt':
        return this.addAttempt(event);
      case 'throughput':
        return this.addThroughput(event);
      case 'gossip':
        return this.addGossip(event);
      case 'metric':
        return this.addMetric(event);
    }
  }

  private addGate(g: GateRecord): void {
    if (g.finding === 'no_result') {
      const from = g.suite === 'gossip' ? (g.origin ?? '?') : (g.from ?? '?');
      this.noResult.push({ suite: g.suite, from, ...(g.to !== undefined && { to: g.to }), ...(g.msg !== undefined && { msg: g.msg }), detail: g.detail });
      return;
    }
    if (g.finding === 'malformed') return this.addMalformed({ source: g.node, line: g.line ?? 0, reason: g.detail });
    let f = this.findings.get(g.finding);
    if (!f) this.findings.set(g.finding, (f = { count: 0, samples: [] }));
    f.count++;
    if (f.samples.length < MALFORMED_SAMPLES) f.samples.push(g.detail);
  }

  private addAttempt(e: AttemptEvent): void {
    this.counts.attempt++;
    this.nodes.add(e.from);
    this.nodes.add(e.to);
    const key = `${e.suite}\u0000${e.from}\u0000${e.to}`;
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = { suite: e.suite, from: e.from, to: e.to, attempts: 0, attemptsByPath: zeroCounts(), okByPath: zeroCounts(), falseSuccess: 0, rtt: new BoundedQuantiles(256), errors: new Map(), evidence: zeroEvidence(), falseClaims: 0, missing: 0 };
      this.pairs.set(key, pair);
    }
    pair.attempts++;
    pair.attemptsByPath[e.path]++;
    if (e.evidence) pair.evidence[e.evidence]++;
    if (e.missing) pair.missing++;
    if (e.false_success !== undefined) {
      pair.falseClaims++;
      pair.falseClaimReason ??= e.false_success;
    }
    // False-success guard: a node "reaching" itself proves nothing; never count it as a success.
    const self = selfPairReason(e);
    if (self) {
      pair.falseSuccess++;
      pair.falseSuccessReason ??= self;
      return;
    }
    if (e.ok) {
      pair.okByPath[e.path]++;
      if (e.rtt_ms !== undefined) {
        pair.rtt.add(e.rtt_ms);
        this.latency.add(e.rtt_ms);
      }
    } else {
      const kind = e.error ?? 'failed (no error given)';
      if (pair.errors.has(kind) || pair.errors.size < ERROR_KINDS_PER_PAIR) pair.errors.set(kind, (pair.errors.get(kind) ?? 0) + 1);
      else pair.errors.set('other', (pair.errors.get('other') ?? 0) + 1);
    }
  }

  private addThroughput(e: ThroughputEvent): void {
    this.counts.throughput++;
    this.nodes.add(e.from);
    this.nodes.add(e.to);
    const key = `${e.from}\u0000${e.to}`;
    let t = this.throughput.get(key);
    if (!t) {
      t = { from: e.from, to: e.to, samples: 0, sumMbps: 0, minMbps: Infinity, maxMbps: -Infinity, bytes: 0, seconds: 0, lossSum: 0, lossSamples: 0 };
      this.throughput.set(key, t);
    }
    t.samples++;
    t.sumMbps += e.mbps;
    t.minMbps = Math.min(t.minMbps, e.mbps);
    t.maxMbps = Math.max(t.maxMbps, e.mbps);
    t.bytes += e.bytes;
    t.seconds += e.seconds;
    if (e.loss !== undefined) {
      t.lossSum += e.loss;
      t.lossSamples++;
    }
  }

  private addGossip(e: GossipEvent): void {
    this.counts.gossip++;
    this.nodes.add(e.origin);
    this.nodes.add(e.node);
    let g = this.gossip.get(e.msg);
    if (!g) {
      g = { msg: e.msg, origin: e.origin, delivered: new Set(), duplicates: 0, latency: new BoundedQuantiles(256), maxHops: 0, sumHops: 0 };
      this.gossip.set(e.msg, g);
    }
    if (e.node === g.origin) return; // the origin holding its own message is not a delivery
    if (g.delivered.has(e.node)) {
      g.duplicates++;
      return;
    }
    g.delivered.add(e.node);
    g.latency.add(e.latency_ms);
    this.gossipLatency.add(e.latency_ms);
    g.maxHops = Math.max(g.maxHops, e.hops);
    g.sumHops += e.hops;
  }

  private addMetric(e: MetricEvent): void {
    this.counts.metric++;
    this.nodes.add(e.node);
    const key = `${e.node}\u0000${e.name}`;
    const m = this.metrics.get(key);
    if (!m) {
      this.metrics.set(key, { node: e.node, name: e.name, count: 1, last: e.value, min: e.value, max: e.value });
      return;
    }
    m.count++;
    m.last = e.value;
    m.min = Math.min(m.min, e.value);
    m.max = Math.max(m.max, e.value);
  }
}

/** Why an attempt is a false success (same node or same identity at both ends), or undefined. */
export function selfPairReason(e: AttemptEvent): string | undefined {
  if (e.from === e.to) return `attempt from ${e.from} to itself`;
  if (e.from_id !== undefined && e.to_id !== undefined && e.from_id === e.to_id) {
    return `${e.from} and ${e.to} report the same identity ${JSON.stringify(e.from_id)}`;
  }
  return undefined;
}

