// Throughput, gossip and metric summaries from the aggregate. Pure.
import type { Aggregator } from './aggregate.js';
import type { GossipMessageResult, GossipResult, MetricResult, ThroughputResult } from './schema.js';
import { naturalCompare } from './names.js';
import { round } from './stats.js';
import { BoundedQuantiles } from './quantiles.js';

const EPS = 1e-9;
const q = (v: number | undefined, digits = 3): number | null => (v === undefined ? null : round(v, digits));

/**
 * Mbit/s is judged on the mean over samples (`passed`); loss on the mean over the samples that
 * reported one (`loss_passed`, null when none did: loss is optional in throughput events).
 */
export function summarizeThroughput(agg: Aggregator, minMbps: number | null, maxLoss: number | null, nodeOrder: (name: string) => number): ThroughputResult[] {
  const measured = [...agg.throughput.values()]
    .sort((a, b) => nodeOrder(a.from) - nodeOrder(b.from) || nodeOrder(a.to) - nodeOrder(b.to))
    .map((t) => {
      const mbps = t.sumMbps / t.samples;
      const loss = t.lossSamples ? t.lossSum / t.lossSamples : null;
      return {
        from: t.from,
        to: t.to,
        samples: t.samples,
        mbps: round(mbps, 2),
        min_mbps: round(t.minMbps, 2),
        max_mbps: round(t.maxMbps, 2),
        bytes: t.bytes,
        seconds: round(t.seconds, 3),
        loss: loss === null ? null : round(loss, 3),
        required_mbps: minMbps,
        passed: minMbps === null ? null : mbps >= minMbps,
        required_max_loss: maxLoss,
        loss_passed: maxLoss === null || loss === null ? null : loss <= maxLoss + EPS,
      };
    });
  // A planned pair that measured nothing is listed as a failure, never left out.
  const silent = agg.noResult
    .filter((n) => n.suite === 'throughput' && n.to !== undefined && !agg.throughput.has(`${n.from}\u0000${n.to}`))
    .map((n): ThroughputResult => ({ from: n.from, to: n.to as string, samples: 0, mbps: 0, min_mbps: 0, max_mbps: 0, bytes: 0, seconds: 0, loss: null, required_mbps: minMbps, passed: false, required_max_loss: maxLoss, loss_passed: null, error: n.detail }));
  return [...measured, ...silent].sort((a, b) => nodeOrder(a.from) - nodeOrder(b.from) || nodeOrder(a.to) - nodeOrder(b.to));
}

/**
 * Delivery per message = distinct receivers among `receivers` (all nodes but the origin and the
 * unreachable) over how many there are. Overall delivery pools every message. The p95 bound is
 * judged on the overall delivery latency p95 (every delivery of every message pooled).
 */
export function summarizeGossip(agg: Aggregator, receivers: readonly string[], minDelivery: number | null, maxP95Ms: number | null = null): GossipResult | null {
  // A message nobody reported still counts: 0 of its receivers.
  const silent = agg.noResult
    .filter((n) => n.suite === 'gossip' && n.msg !== undefined && !agg.gossip.has(n.msg))
    .map((n) => ({ msg: n.msg as string, origin: n.from, delivered: new Set<string>(), duplicates: 0, latency: new BoundedQuantiles(8), maxHops: 0, sumHops: 0 }));
  const messages = [...agg.gossip.values(), ...silent];
  if (messages.length === 0) return null;
  const expectedSet = new Set(receivers);
  let delivered = 0;
  let expected = 0;
  let maxHops = 0;
  const perMessage: GossipMessageResult[] = messages
    .sort((a, b) => naturalCompare(a.msg, b.msg))
    .map((g) => {
      const want = expectedSet.size - (expectedSet.has(g.origin) ? 1 : 0);
      let got = 0;
      for (const node of g.delivered) if (expectedSet.has(node) && node !== g.origin) got++;
      delivered += got;
      expected += want;
      maxHops = Math.max(maxHops, g.maxHops);
      return {
        msg: g.msg,
        origin: g.origin,
        delivered: got,
        expected: want,
        delivery: want ? round((got / want) * 100, 2) : 100,
        latency_p50_ms: q(g.latency.quantile(0.5)),
        latency_p95_ms: q(g.latency.quantile(0.95)),
        max_hops: g.maxHops,
        duplicates: g.duplicates,
      };
    });
  const p95 = agg.gossipLatency.quantile(0.95);
  return {
    messages: perMessage.length,
    delivery: expected ? round((delivered / expected) * 100, 2) : 100,
    min_delivery: Math.min(...perMessage.map((m) => m.delivery)),
    required_delivery: minDelivery,
    latency_p50_ms: q(agg.gossipLatency.quantile(0.5)),
    latency_p95_ms: q(p95),
    required_p95_ms: maxP95Ms,
    p95_passed: maxP95Ms === null || p95 === undefined ? null : p95 <= maxP95Ms + EPS,
    max_hops: maxHops,
    per_message: perMessage,
  };
}

export function summarizeMetrics(agg: Aggregator, nodeOrder: (name: string) => number): MetricResult[] {
  return [...agg.metrics.values()]
    .sort((a, b) => nodeOrder(a.node) - nodeOrder(b.node) || naturalCompare(a.name, b.name))
    .map((m) => ({ ...m })); // a copy: results never alias the aggregator's state
}
