import { describe, expect, it } from 'vitest';
import { Aggregator, MALFORMED_SAMPLES } from '../../../src/results/aggregate.js';
import { aggregateOf, attempt } from './helpers.js';

describe('Aggregator', () => {
  it('counts attempts per ordered pair and path, with rtts of ok attempts', () => {
    const agg = aggregateOf([
      attempt('a', 'b', 'direct', true, { rtt_ms: 2 }),
      attempt('a', 'b', 'direct', true, { rtt_ms: 4 }),
      attempt('a', 'b', 'hole_punch', false, { error: 'timeout' }),
      attempt('a', 'b', 'relay', true, { rtt_ms: 9 }),
      attempt('b', 'a', 'direct', true),
    ]);
    const ab = agg.pairs.get('connectivity\u0000a\u0000b');
    expect(ab?.attempts).toBe(4);
    expect(ab?.attemptsByPath).toEqual({ direct: 2, hole_punch: 1, relay: 1 });
    expect(ab?.okByPath).toEqual({ direct: 2, hole_punch: 0, relay: 1 });
    expect(ab?.rtt.quantile(0.5)).toBe(4);
    expect(ab?.errors.get('timeout')).toBe(1);
    expect(agg.pairs.get('connectivity\u0000b\u0000a')?.attempts).toBe(1);
    expect(agg.latency.count).toBe(3);
    expect([...agg.nodes]).toEqual(['a', 'b']);
    expect(agg.events).toBe(5);
  });

  it('keeps suites apart (the relay suite expects other paths than connectivity)', () => {
    const agg = aggregateOf([attempt('a', 'b', 'direct', true), attempt('a', 'b', 'relay', true, { suite: 'relay' })]);
    expect(agg.pairs.size).toBe(2);
  });

  it('never counts a node reaching itself, or two ends with one identity, as a success', () => {
    const agg = aggregateOf([
      attempt('a', 'a', 'direct', true, { rtt_ms: 0.01 }),
      attempt('a', 'b', 'direct', true, { from_id: 'p1', to_id: 'p1', rtt_ms: 0.01 }),
      attempt('a', 'c', 'direct', true, { from_id: 'p1', to_id: 'p3' }),
    ]);
    const self = agg.pairs.get('connectivity\u0000a\u0000a');
    expect(self).toMatchObject({ attempts: 1, falseSuccess: 1, falseSuccessReason: 'attempt from a to itself' });
    expect(self?.okByPath.direct).toBe(0);
    const same = agg.pairs.get('connectivity\u0000a\u0000b');
    expect(same).toMatchObject({ falseSuccess: 1, falseSuccessReason: 'a and b report the same identity "p1"' });
    expect(same?.okByPath.direct).toBe(0);
    expect(agg.pairs.get('connectivity\u0000a\u0000c')?.okByPath.direct).toBe(1);
    expect(agg.latency.count).toBe(0); // rtts of false successes are not latencies
  });

  it('bounds the error kinds kept per pair', () => {
    const agg = aggregateOf(Array.from({ length: 50 }, (_, i) => attempt('a', 'b', 'direct', false, { error: `error ${i % 10}` })));
    const errors = agg.pairs.get('connectivity\u0000a\u0000b')?.errors;
    expect(errors?.size).toBe(6);
    expect(errors?.get('other')).toBe(25);
  });

  it('summarizes throughput, gossip (distinct receivers, origin excluded) and metrics', () => {
    const agg = aggregateOf([
      { v: 1, type: 'throughput', from: 'a', to: 'b', bytes: 100, seconds: 10, mbps: 80, loss: 1 },
      { v: 1, type: 'throughput', from: 'a', to: 'b', bytes: 100, seconds: 10, mbps: 60 },
      { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'a', hops: 0, latency_ms: 0 },
      { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'b', hops: 1, latency_ms: 10 },
      { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'b', hops: 2, latency_ms: 30 },
      { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'c', hops: 2, latency_ms: 20 },
      { v: 1, type: 'metric', node: 'a', name: 'peers', value: 3 },
      { v: 1, type: 'metric', node: 'a', name: 'peers', value: 1 },
    ]);
    expect(agg.throughput.get('a\u0000b')).toMatchObject({ samples: 2, sumMbps: 140, minMbps: 60, maxMbps: 80, lossSamples: 1 });
    const g = agg.gossip.get('m1');
    expect([...(g?.delivered ?? [])]).toEqual(['b', 'c']);
    expect(g).toMatchObject({ duplicates: 1, maxHops: 2, sumHops: 3 });
    expect(agg.gossipLatency.quantile(0.5)).toBe(15);
    expect(agg.metrics.get('a\u0000peers')).toMatchObject({ count: 2, last: 1, min: 1, max: 3 });
  });

  it('counts every malformed line but keeps only the first samples', () => {
    const agg = new Aggregator();
    for (let i = 1; i <= 100; i++) agg.addItem({ ok: false, malformed: { source: 'f', line: i, reason: 'not JSON' } });
    expect(agg.malformedCount).toBe(100);
    expect(agg.malformedSamples).toHaveLength(MALFORMED_SAMPLES);
    expect(agg.malformedSamples[0]?.line).toBe(1);
    expect(agg.events).toBe(0);
  });
});
