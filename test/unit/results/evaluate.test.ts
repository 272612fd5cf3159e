import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../../src/results/aggregate.js';
import { evaluate, type EvaluateInput } from '../../../src/results/evaluate.js';
import type { ResultsJson } from '../../../src/results/schema.js';
import { aggregateOf, attempt, attempts, planOf } from './helpers.js';

const AT = '2025-06-01T12:00:00.000Z';
const run = (input: Omit<EvaluateInput, 'generatedAt'>): ResultsJson => evaluate({ generatedAt: AT, ...input });

// pub (public), fc (full-cone), pr (port-restricted), sy (symmetric)
const NODES: [string, 'none' | 'full-cone' | 'port-restricted' | 'symmetric'][] = [['pub', 'none'], ['fc', 'full-cone'], ['pr', 'port-restricted'], ['sy', 'symmetric']];

describe('evaluate: categories follow the EXPECTED path of each pair', () => {
  const plan = planOf(NODES, { direct: 99, nat_traversed: 85, relay: 100 });

  it('counts a punch-expected pair that only got through via relay as a nat_traversed failure, shown as relayed', () => {
    const r = run({ plan, aggregate: aggregateOf([...attempts('fc', 'pr', 'relay', 10, 10), ...attempts('fc', 'sy', 'hole_punch', 10, 10)]) });
    expect(r.categories.nat_traversed).toMatchObject({ attempts: 20, successes: 10, rate: 50 });
    expect(r.categories.relay).toMatchObject({ attempts: 0, judged: false, note: 'no attempts' });
    const fcpr = r.pairs.find((p) => p.from === 'fc' && p.to === 'pr');
    expect(fcpr).toMatchObject({ expected_path: 'hole_punch', observed_path: 'relay', successes: 0, from_nat: 'full-cone', to_nat: 'port-restricted' });
    expect(r.verdict).toBe('fail');
    expect(r.reasons[0]).toBe('nat_traversed 50.0% < 85% threshold (pairs: fc->pr)');
  });

  it('counts expected-relay pairs toward relay, and a better path than expected as success', () => {
    const r = run({ plan, aggregate: aggregateOf([...attempts('pr', 'sy', 'relay', 10, 10), ...attempts('sy', 'pr', 'hole_punch', 10, 10), ...attempts('sy', 'sy2', 'direct', 0, 0)]) });
    expect(r.categories.relay).toMatchObject({ attempts: 20, successes: 20, rate: 100, judged: true, passed: true });
    expect(r.categories['port-restricted->symmetric']).toMatchObject({ attempts: 10, successes: 10 });
    expect(r.pairs.map((p) => p.observed_path)).toEqual(['relay', 'hole_punch']);
  });

  it('reports relay failures by pair', () => {
    const r = run({ plan, aggregate: aggregateOf([...attempts('pr', 'sy', 'relay', 10, 0), ...attempts('sy', 'pr', 'relay', 10, 0), ...attempts('pub', 'fc', 'hole_punch', 10, 10)]) });
    expect(r.reasons).toContain('relay 0.0% < 100% threshold (pairs: pr->sy, sy->pr)');
    expect(r.pairs.find((p) => p.from === 'pr')?.observed_path).toBe('failed');
  });

  it('says when a category has too few attempts to judge, and degrades instead of passing', () => {
    const events = [...attempts('fc', 'pub', 'direct', 30, 30), ...attempts('pr', 'sy', 'relay', 3, 3), ...attempts('fc', 'sy', 'hole_punch', 12, 12)];
    const r = run({ plan, aggregate: aggregateOf(events) });
    expect(r.categories.relay).toMatchObject({ attempts: 3, judged: false, passed: null, note: 'too few attempts to judge: 3 < 10' });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toContain('relay not judged (threshold 100%): too few attempts to judge: 3 < 10');
    expect(r.reasons.some((x) => x.startsWith('9 planned pairs had no attempts'))).toBe(true);
  });

  it('gives interval, threshold and the NAT-type pair categories', () => {
    const r = run({ plan, aggregate: aggregateOf(attempts('fc', 'pub', 'direct', 10, 8)) });
    expect(r.categories.direct).toMatchObject({ attempts: 10, successes: 8, rate: 80, ci_low: 49.02, ci_high: 94.33, threshold: 99, judged: true, passed: false });
    expect(r.categories['full-cone->none']).toMatchObject({ attempts: 10, successes: 8, threshold: null, judged: false, note: 'no threshold or baseline' });
  });
});

describe('evaluate: baseline and regression tolerance', () => {
  const plan = planOf([['fc', 'full-cone'], ['sy', 'symmetric']], { nat_traversed: 80 }, { regressionTolerance: 5 });
  const both = (okEach: number): Aggregator => aggregateOf([...attempts('fc', 'sy', 'hole_punch', 10, okEach), ...attempts('sy', 'fc', 'hole_punch', 10, okEach)]);
  const baseline = run({ plan, aggregate: both(10) });

  it('fails a drop of more than the tolerance even above the threshold', () => {
    expect(baseline.verdict).toBe('pass');
    const r = run({ plan, baseline, aggregate: both(9) });
    expect(r.categories.nat_traversed).toMatchObject({ rate: 90, baseline_delta: -10, passed: false, note: 'regressed 10 points vs baseline (tolerance 5)' });
    expect(r.verdict).toBe('fail');
    expect(r.reasons[0]).toBe('nat_traversed regressed 10.0 points vs baseline (100.0% -> 90.0%, tolerance 5) (pairs: fc->sy, sy->fc)');
    expect(r.baseline).toEqual({ generated_at: AT, verdict: 'pass' });
  });

  it('accepts a drop within the tolerance', () => {
    const r = run({ plan, baseline, aggregate: aggregateOf([...attempts('fc', 'sy', 'hole_punch', 10, 9), ...attempts('sy', 'fc', 'hole_punch', 10, 10)]) });
    expect(r.categories.nat_traversed).toMatchObject({ baseline_delta: -5, passed: true });
    // ...but the NAT-type pair categories are judged against the baseline too: fc->sy alone lost 10 points.
    expect(r.categories['full-cone->symmetric']).toMatchObject({ baseline_delta: -10, passed: false });
    expect(r.categories['symmetric->full-cone']).toMatchObject({ baseline_delta: 0, passed: true });
    expect(r.reasons).toEqual(['full-cone->symmetric regressed 10.0 points vs baseline (100.0% -> 90.0%, tolerance 5) (pairs: fc->sy)']);
  });

  it('judges a category without threshold against the baseline alone (criteria "improvement")', () => {
    const r = run({ plan: { ...plan, thresholds: {} }, baseline, aggregate: both(10) });
    expect(r.categories.nat_traversed).toMatchObject({ judged: true, passed: true, threshold: null, baseline_delta: 0 });
    expect(r.verdict).toBe('pass');
  });
});

describe('evaluate: verdicts', () => {
  const plan = planOf([['a', 'none'], ['b', 'none'], ['c', 'none']], { direct: 90 });
  const good = (): Aggregator => aggregateOf(['a', 'b', 'c'].flatMap((f) => ['a', 'b', 'c'].filter((t) => t !== f).flatMap((t) => attempts(f, t, 'direct', 10, 10))));

  it('passes with a sentence saying what was met', () => {
    const r = run({ plan, aggregate: good() });
    expect(r.verdict).toBe('pass');
    expect(r.reasons).toEqual(['all criteria met: 1 judged category (direct)']);
  });

  it('is an error when there are no events at all, or only malformed lines', () => {
    expect(run({ plan, aggregate: new Aggregator() })).toMatchObject({ verdict: 'error', reasons: expect.arrayContaining(['no result events at all']) });
    const agg = new Aggregator();
    agg.addMalformed({ source: 'x', line: 1, reason: 'not JSON' });
    expect(run({ plan, aggregate: agg }).reasons[0]).toBe('no valid result events (1 malformed line)');
  });

  it('is an error on a false success, naming the pair, even when rates would pass', () => {
    const agg = good();
    agg.add(attempt('a', 'b', 'direct', true, { from_id: 'x', to_id: 'x' }));
    const r = run({ plan, aggregate: agg });
    expect(r.verdict).toBe('error');
    expect(r.reasons[0]).toBe('false success in connectivity a->b: a and b report the same identity "x" (1 attempt, never counted as success)');
    expect(r.false_success).toEqual([{ suite: 'connectivity', from: 'a', to: 'b', count: 1, reason: 'a and b report the same identity "x"' }]);
    expect(r.categories.direct).toMatchObject({ attempts: 61, successes: 60 });
  });

  it('is an error when a stage failed', () => {
    expect(run({ plan, aggregate: good(), stageError: 'deploy: upload to b failed' }).reasons[0]).toBe('stage error: deploy: upload to b failed');
  });

  it('degrades on tolerated malformed lines and on an unreachable minority; fails when more than half are unreachable', () => {
    const agg = good();
    agg.addMalformed({ source: 'a.jsonl', line: 7, reason: 'not JSON: oops' });
    expect(run({ plan, aggregate: agg }).verdict).toBe('error');
    const r = run({ plan, aggregate: agg, unreachable: ['c'], malformedTolerance: 1 });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toEqual(['1 of 3 nodes unreachable: c', '1 malformed line (first: a.jsonl:7 not JSON: oops) ignored (up to 1 tolerated)']);
    expect(r.nodes?.find((n) => n.name === 'c')?.status).toBe('unreachable');
    expect(run({ plan, aggregate: good(), unreachable: ['b', 'c'] }).verdict).toBe('fail');
  });

  it("an unreachable node's failed pairs are judged by the unreachable rule, not the categories", () => {
    // c died: every pair of it failed "node c unreachable since ..."; the rest are fine
    const names = ['a', 'b', 'c'];
    const agg = aggregateOf(names.flatMap((f) => names.filter((t) => t !== f).flatMap((t) => (f === 'c' || t === 'c' ? attempts(f, t, 'direct', 10, 0) : attempts(f, t, 'direct', 10, 10)))));
    const r = run({ plan, aggregate: agg, unreachable: ['c'] });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons).toEqual(['1 of 3 nodes unreachable: c']);
    expect(r.categories.direct).toMatchObject({ attempts: 20, successes: 20 });
    expect(r.pairs.filter((p) => p.from === 'c' || p.to === 'c').map((p) => p.successes)).toEqual([0, 0, 0, 0]);
    // the same failures on a node that stayed reachable fail the run
    expect(run({ plan, aggregate: agg }).verdict).toBe('fail');
  });

  it('fails on throughput under the minimum and on short gossip delivery', () => {
    const agg = good();
    agg.add({ v: 1, type: 'throughput', from: 'a', to: 'b', bytes: 1, seconds: 1, mbps: 20 });
    agg.add({ v: 1, type: 'throughput', from: 'b', to: 'a', bytes: 1, seconds: 1, mbps: 90 });
    agg.add({ v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'b', hops: 1, latency_ms: 5 });
    const r = run({ plan, aggregate: agg, minMbps: 50, minDelivery: 100 });
    expect(r.verdict).toBe('fail');
    expect(r.reasons).toEqual(['throughput below 50 Mbit/s: a->b 20.0', 'gossip delivery below 100%: m1 50.0% (1/2)']);
    expect(r.throughput.map((t) => t.passed)).toEqual([false, true]);
    expect(r.gossip).toMatchObject({ messages: 1, delivery: 50, min_delivery: 50, required_delivery: 100 });
  });
});

describe('evaluate: without a plan (a user harness)', () => {
  it('infers nodes from events, counts each attempt under its own path and judges only given thresholds', () => {
    const events = [...attempts('x', 'y', 'direct', 10, 10), ...attempts('y', 'x', 'hole_punch', 10, 7), ...attempts('x', 'z', 'relay', 10, 10)];
    const r = run({ aggregate: aggregateOf(events), thresholds: { nat_traversed: 80 } });
    expect(r.nodes?.map((n) => [n.name, n.nat])).toEqual([['x', null], ['y', null], ['z', null]]);
    expect(r.categories.direct).toMatchObject({ attempts: 10, successes: 10, judged: false, note: 'no threshold or baseline' });
    expect(r.categories.nat_traversed).toMatchObject({ attempts: 10, successes: 7, judged: true, passed: false });
    expect(r.pairs.every((p) => p.expected_path === null)).toBe(true);
    expect(Object.keys(r.categories)).toEqual(['direct', 'nat_traversed', 'relay']);
    expect(r.verdict).toBe('fail');
  });

  it('degrades when nothing could be judged', () => {
    const r = run({ aggregate: aggregateOf(attempts('x', 'y', 'direct', 10, 10)) });
    expect(r.verdict).toBe('degraded');
    expect(r.reasons[0]).toMatch(/^no category could be judged/);
  });

  it('a failed attempt on one path and success on another each count in their own category', () => {
    const r = run({ aggregate: aggregateOf([...attempts('x', 'y', 'hole_punch', 4, 0), ...attempts('x', 'y', 'relay', 4, 4)]), thresholds: {} });
    expect(r.categories.nat_traversed).toMatchObject({ attempts: 4, successes: 0 });
    expect(r.categories.relay).toMatchObject({ attempts: 4, successes: 4 });
    expect(r.pairs[0]).toMatchObject({ attempts: 8, successes: 4, observed_path: 'relay' });
  });
});
