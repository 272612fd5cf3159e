// Throughput max_loss and gossip p95 criteria: from the plan, overridable by input, judged in
// the verdict; a pair that reports no loss cannot pass on loss. Plans have no pair suites here
// so the only criteria in play are the ones under test.
import { describe, expect, it } from 'vitest';
import { evaluate, type EvaluateInput } from '../../../src/results/evaluate.js';
import type { GossipEvent, ThroughputEvent } from '../../../src/results/events.js';
import { type ResultsJson } from '../../../src/results/schema.js';
import { parseResultsJson } from '../../../src/results/load.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { aggregateOf, planOf } from './helpers.js';

const AT = '2025-06-01T12:00:00.000Z';
const run = (input: Omit<EvaluateInput, 'generatedAt'>): ResultsJson => evaluate({ generatedAt: AT, ...input });

const tp = (from: string, to: string, mbps: number, loss?: number): ThroughputEvent => ({ v: 1, type: 'throughput', from, to, bytes: 1, seconds: 1, mbps, ...(loss !== undefined && { loss }) });
const gossip = (msg: string, origin: string, node: string, latency: number): GossipEvent => ({ v: 1, type: 'gossip', msg, origin, node, hops: 1, latency_ms: latency });

/** a, b, c: every message reaches both other nodes; latencies per (message, receiver). */
function deliveries(latencies: Record<string, [number, number]>): GossipEvent[] {
  const origins: Record<string, string> = { m1: 'a', m2: 'b', m3: 'c' };
  return Object.entries(latencies).flatMap(([msg, [l1, l2]]) => {
    const origin = origins[msg] as string;
    const [r1, r2] = ['a', 'b', 'c'].filter((n) => n !== origin) as [string, string];
    return [gossip(msg, origin, r1, l1), gossip(msg, origin, r2, l2)];
  });
}

const NODES: [string, 'none'][] = [['a', 'none'], ['b', 'none'], ['c', 'none']];

describe('evaluate: throughput max_loss', () => {
  const plan = planOf(NODES, {}, { suites: [], throughput: { pairs: [], seconds: 10, maxLoss: 1 } });

  it('passes pairs whose mean loss is within max_loss (the bound itself included)', () => {
    const r = run({ plan, aggregate: aggregateOf([tp('a', 'b', 90, 0), tp('a', 'b', 90, 2), tp('b', 'a', 90, 0.5)]) });
    expect(r.criteria).toMatchObject({ max_loss: 1, gossip_p95_ms: null });
    expect(r.throughput.map((t) => [t.loss, t.required_max_loss, t.loss_passed])).toEqual([
      [1, 1, true],
      [0.5, 1, true],
    ]);
    expect(r.verdict).toBe('pass');
    expect(r.reasons).toEqual(['all criteria met: throughput loss <= 1%']);
  });

  it('fails a pair whose mean loss exceeds max_loss, naming the pair and its loss', () => {
    const r = run({ plan, aggregate: aggregateOf([tp('a', 'b', 90, 1.04), tp('b', 'a', 90, 0), tp('a', 'c', 90, 7)]) });
    expect(r.verdict).toBe('fail');
    expect(r.reasons).toContain('throughput loss above 1%: a->b 1.04%, a->c 7.0%');
    expect(r.throughput.map((t) => t.loss_passed)).toEqual([false, false, true]);
    // the Mbit/s criterion is separate: not set here, so not judged
    expect(r.throughput.every((t) => t.passed === null)).toBe(true);
  });

  it('takes max_loss from the input over the plan', () => {
    const events = [tp('a', 'b', 90, 3)];
    expect(run({ plan, aggregate: aggregateOf(events) }).verdict).toBe('fail');
    const r = run({ plan, aggregate: aggregateOf(events), maxLoss: 5 });
    expect(r.criteria.max_loss).toBe(5);
    expect(r.verdict).toBe('pass');
    expect(run({ aggregate: aggregateOf(events), maxLoss: 2 }).reasons).toEqual(['throughput loss above 2%: a->b 3.0%']);
  });

  it('cannot judge a pair that reports no loss: says so and degrades instead of passing', () => {
    const r = run({ plan, aggregate: aggregateOf([tp('a', 'b', 90, 0), tp('b', 'a', 90), tp('c', 'a', 90)]), minMbps: 50 });
    expect(r.throughput.find((t) => t.from === 'b')).toMatchObject({ loss: null, required_max_loss: 1, loss_passed: null, passed: true });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toEqual(['throughput loss not judged (max 1%): no loss reported for 2 pairs: b->a, c->a']);
  });

  it('still fails on a lossy pair when another reports no loss', () => {
    const r = run({ plan, aggregate: aggregateOf([tp('a', 'b', 90, 4), tp('b', 'a', 90)]) });
    expect(r.verdict).toBe('fail');
    expect(r.reasons).toEqual(['throughput loss above 1%: a->b 4.0%', 'throughput loss not judged (max 1%): no loss reported for 1 pair: b->a']);
  });

  it('degrades when max_loss is set and no throughput was measured at all', () => {
    const r = run({ plan, aggregate: aggregateOf([gossip('m1', 'a', 'b', 5)]) });
    expect(r.reasons).toContain('throughput loss not judged (max 1%): no throughput measured');
    expect(r.verdict).toBe('degraded');
  });

  it('leaves loss unjudged without max_loss, and records nulls', () => {
    const r = run({ aggregate: aggregateOf([tp('a', 'b', 90, 50)]) });
    expect(r.criteria.max_loss).toBeNull();
    expect(r.throughput[0]).toMatchObject({ loss: 50, required_max_loss: null, loss_passed: null });
    expect(r.verdict).toBe('pass');
  });
});

describe('evaluate: gossip latency p95', () => {
  const plan = planOf(NODES, {}, { suites: [], gossip: { origins: [], fanout: 3, durationMs: 5000, maxP95Ms: 100 } });

  it('passes when the pooled delivery p95 is within the bound', () => {
    const r = run({ plan, aggregate: aggregateOf(deliveries({ m1: [10, 20], m2: [30, 40], m3: [50, 60] })) });
    expect(r.criteria.gossip_p95_ms).toBe(100);
    expect(r.gossip).toMatchObject({ latency_p95_ms: 57.5, required_p95_ms: 100, p95_passed: true });
    expect(r.verdict).toBe('pass');
    expect(r.reasons[0]).toContain('gossip latency p95 <= 100 ms');
  });

  it('fails above the bound with the value, the bound and the worst messages by p95', () => {
    const r = run({ plan, aggregate: aggregateOf(deliveries({ m1: [10, 20], m2: [30, 400], m3: [200, 250] })) });
    expect(r.gossip).toMatchObject({ required_p95_ms: 100, p95_passed: false });
    expect(r.gossip?.latency_p95_ms).toBeGreaterThan(100);
    expect(r.verdict).toBe('fail');
    expect(r.reasons).toEqual([`gossip latency p95 ${(r.gossip?.latency_p95_ms as number).toFixed(1)} ms > 100 ms bound (worst messages by p95: m2 381.5 ms, m3 247.5 ms, m1 19.5 ms)`]);
  });

  it('takes the bound from the input over the plan', () => {
    const agg = aggregateOf(deliveries({ m1: [10, 20], m2: [30, 40], m3: [50, 60] }));
    const r = run({ plan, aggregate: agg, maxGossipP95Ms: 20 });
    expect(r.criteria.gossip_p95_ms).toBe(20);
    expect(r.verdict).toBe('fail');
    expect(r.reasons[0]).toMatch(/^gossip latency p95 57\.5 ms > 20 ms bound/);
  });

  it('degrades when a bound is set and no gossip was measured', () => {
    const r = run({ aggregate: aggregateOf([tp('a', 'b', 90)]), maxGossipP95Ms: 50 });
    expect(r.gossip).toBeNull();
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toEqual(['gossip latency p95 not judged (max 50 ms): no gossip measured']);
  });

  it('leaves p95 unjudged without a bound', () => {
    const r = run({ aggregate: aggregateOf(deliveries({ m1: [1000, 2000] })) });
    expect(r.gossip).toMatchObject({ required_p95_ms: null, p95_passed: null });
    expect(r.verdict).toBe('pass');
  });
});

describe('results.json with the new criteria', () => {
  const sample = run({ plan: planOf(NODES, {}, { suites: [], throughput: { pairs: [], seconds: 10, maxLoss: 1 }, gossip: { origins: [], fanout: 3, durationMs: 5000, maxP95Ms: 100 } }), aggregate: aggregateOf([tp('a', 'b', 90, 2), ...deliveries({ m1: [10, 20] })]) });

  it('round-trips', () => {
    const text = renderResultsJson(sample);
    expect(parseResultsJson(text, 'results.json')).toEqual(JSON.parse(text));
    expect(text).toContain('"required_max_loss": 1,\n      "loss_passed": false');
  });

  it('loads an older file without the fields, as nulls', () => {
    const old = JSON.parse(renderResultsJson(sample));
    delete old.criteria.max_loss;
    delete old.criteria.gossip_p95_ms;
    delete old.throughput[0].required_max_loss;
    delete old.throughput[0].loss_passed;
    delete old.gossip.required_p95_ms;
    delete old.gossip.p95_passed;
    const r = parseResultsJson(JSON.stringify(old), 'old.json');
    expect(r.criteria).toMatchObject({ max_loss: null, gossip_p95_ms: null });
    expect(r.throughput[0]).toMatchObject({ required_max_loss: null, loss_passed: null });
    expect(r.gossip).toMatchObject({ required_p95_ms: null, p95_passed: null });
  });
});

describe('evaluate: a bound with nothing measured is not a pass', () => {
  it('min_mbps without throughput results and min delivery without gossip degrade, naming the bound', () => {
    const plan = planOf(NODES, {}, { suites: [], throughput: { pairs: [], seconds: 10, minMbps: 50 }, gossip: { origins: [], fanout: 3, durationMs: 5000, minDelivery: 100 } });
    const r = run({ plan, aggregate: aggregateOf([{ v: 1, type: 'metric', node: 'a', name: 'peers', value: 2 }]) });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toContain('throughput not judged (min 50 Mbit/s): no throughput results');
    expect(r.reasons).toContain('gossip delivery not judged (min 100%): no gossip results');
    const measured = run({ plan, aggregate: aggregateOf([tp('a', 'b', 90), ...deliveries({ m1: [5, 6], m2: [5, 6], m3: [5, 6] })]) });
    expect(measured.verdict).toBe('pass');
  });
});
