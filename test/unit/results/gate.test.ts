// The gate on recorded event streams: forged origins, unplanned pairs, missing pairs, identity
// reuse and path evidence, all the way to the verdict. No network needed.
import { describe, expect, it } from 'vitest';
import { Gate, type Outcome, type Window } from '../../../src/results/gate.js';
import type { NodeCounters, RoundCounters } from '../../../src/results/evidence.js';
import { Aggregator } from '../../../src/results/aggregate.js';
import { evaluate } from '../../../src/results/evaluate.js';
import type { GateRecord } from '../../../src/results/gate-records.js';
import type { ResultEvent } from '../../../src/results/events.js';
import type { NatType } from '../../../src/config/model.js';
import { planOf } from './helpers.js';

const NODES: [string, NatType, string][] = [
  ['boot', 'none', '203.0.113.1'],
  ['pub', 'none', '203.0.113.2'],
  ['cone', 'full-cone', '203.0.113.3'],
];
const plan = planOf(NODES.map(([n, nat]) => [n, nat]), { direct: 99, nat_traversed: 85 }, { minAttempts: 1 });
plan.nodes[0]!.role = 'bootstrap';
const pairs = plan.suites[0]!.pairs;

function harness() {
  const records: (ResultEvent | GateRecord)[] = [];
  const gate = new Gate({ nodes: NODES.map(([name, nat, publicIp]) => ({ name, nat, publicIp })), relays: [{ name: 'boot', publicIp: '203.0.113.1' }], write: (r) => records.push(r) });
  const judge = (extra: Partial<Parameters<typeof evaluate>[0]> = {}) => {
    const agg = new Aggregator();
    for (const r of records) agg.add(JSON.parse(JSON.stringify(r)) as ResultEvent | GateRecord);
    return evaluate({ plan, aggregate: agg, generatedAt: '2026-01-01T00:00:00Z', ...extra });
  };
  return { gate, records, judge };
}

const attempt = (from: string, to: string, extra: Record<string, unknown> = {}) => JSON.stringify({ v: 1, type: 'attempt', suite: 'connectivity', from, to, path: to === 'cone' ? 'hole_punch' : 'direct', ok: true, rtt_ms: 1, from_id: `${from}-id`, to_id: `${to}-id`, ...extra });
const window = (round: number, extra: Partial<Extract<Window, { kind: 'pairs' }>> = {}): Window => ({ kind: 'pairs', suite: 'connectivity', round, pairs, process: 'probe', ...extra });
const ok = new Map<string, Outcome>(NODES.map(([n]) => [n, { code: 0 }]));

/** Everyone delivered packets from everyone: what an honest round looks like. */
function allTalked(): RoundCounters {
  const ips = NODES.map(([, , ip]) => ip);
  return new Map(NODES.map(([n, , ip]): [string, NodeCounters] => {
    const others = new Map(ips.filter((x) => x !== ip).map((x) => [x, 5]));
    return [n, { in: others, out: others }];
  }));
}

/** Only talk with the bootstrap (rendezvous), never with each other. */
function onlyRendezvous(): RoundCounters {
  const boot = '203.0.113.1';
  return new Map(NODES.map(([n, , ip]): [string, NodeCounters] => {
    const m = ip === boot ? new Map(NODES.filter(([, , x]) => x !== boot).map(([, , x]) => [x, 3])) : new Map([[boot, 3]]);
    return [n, { in: m, out: m }];
  }));
}

function honestRound(gate: Gate, round: number, counters: RoundCounters = allTalked()) {
  gate.open(window(round));
  for (const p of pairs) gate.line(p.from, attempt(p.from, p.to, { from_id: `${p.from}-${round}`, to_id: `${p.to}-${round}` }));
  gate.close(ok, counters);
}

describe('the gate', () => {
  it('passes an honest run and records the evidence per pair', () => {
    const { gate, judge } = harness();
    honestRound(gate, 1);
    const r = judge();
    expect(r.verdict).toBe('pass');
    expect(r.schema).toBe('vps-test/results@1.1');
    expect(r.pairs.find((p) => p.from === 'pub' && p.to === 'cone')?.evidence).toEqual({ direct: 1, relayed: 0, none: 0, unmeasured: 0 });
  });

  it('rejects an event signed as another node, and the forged pair counts as missing', () => {
    const { gate, judge } = harness();
    gate.open(window(1));
    for (const p of pairs) if (p.from !== 'pub') gate.line(p.from, attempt(p.from, p.to, { from_id: `${p.from}-1`, to_id: `${p.to}-1` }));
    gate.line('cone', attempt('pub', 'boot', { from_id: 'x', to_id: 'y' }));
    gate.line('cone', attempt('pub', 'cone', { from_id: 'x', to_id: 'z' }));
    gate.close(ok, allTalked());
    const r = judge();
    expect(r.verdict).toBe('fail');
    expect(r.reasons.join('\n')).toMatch(/2 events rejected \(signed as another node\): a attempt event collected from cone says from: pub/);
    expect(r.pairs.find((p) => p.from === 'pub' && p.to === 'boot')).toMatchObject({ attempts: 1, successes: 0, missing: 1, top_error: "no result from pub's probe (round 1)" });
  });

  it('rejects an unplanned pair and a second attempt in the same round', () => {
    const { gate, judge } = harness();
    gate.open(window(1));
    gate.line('pub', JSON.stringify({ v: 1, type: 'attempt', suite: 'relay', from: 'pub', to: 'cone', path: 'relay', ok: true }));
    gate.line('pub', attempt('pub', 'ghost'));
    gate.line('pub', attempt('pub', 'boot'));
    gate.line('pub', attempt('pub', 'boot'));
    gate.close(ok, allTalked());
    const r = judge();
    const rejected = r.rejected ?? [];
    expect(rejected.find((x) => x.finding === 'unplanned')?.samples).toEqual(['relay pub->cone is not a planned pair of connectivity round 1', 'connectivity pub->ghost is not a planned pair of connectivity round 1']);
    expect(rejected.find((x) => x.finding === 'duplicate')?.count).toBe(1);
    expect(r.verdict).toBe('fail');
  });

  it('makes every planned pair with nothing a failed attempt naming the exit code and stderr', () => {
    const { gate, judge } = harness();
    gate.open(window(7));
    gate.close(new Map([['boot', { code: 0 }], ['pub', { code: 0 }], ['cone', { code: 3, stderrTail: 'bind: address in use' }]]), allTalked());
    const r = judge();
    expect(r.pairs).toHaveLength(pairs.length);
    expect(r.pairs.find((p) => p.from === 'cone' && p.to === 'pub')?.top_error).toBe("cone's probe exited 3: bind: address in use (round 7)");
    expect(r.verdict).toBe('fail');
  });

  it('names identity reuse across rounds: one node answering with another node\'s id', () => {
    const { gate, judge } = harness();
    honestRound(gate, 1);
    gate.open(window(2));
    for (const p of pairs) gate.line(p.from, attempt(p.from, p.to, { from_id: `${p.from}-2`, to_id: p.to === 'cone' ? 'pub-1' : `${p.to}-2` }));
    gate.close(ok, allTalked());
    const r = judge();
    expect(r.verdict).toBe('fail');
    expect(r.reasons.join('\n')).toMatch(/identity reuse\): identity "pub-1" was pub's and now answers as cone/);
    expect(r.pairs.find((p) => p.from === 'boot' && p.to === 'cone')?.false_claims).toBe(1);
  });

  it('turns a claimed punch the network never saw into a false success, pair by pair, summarised', () => {
    const { gate, judge } = harness();
    for (let round = 1; round <= 3; round++) honestRound(gate, round, onlyRendezvous());
    const r = judge();
    expect(r.verdict).toBe('fail');
    const line = r.reasons.find((x) => x.startsWith('false success'));
    // pairs with the bootstrap at one end did exchange packets directly: only pub<->cone lied
    expect(line).toBe('false success: 6 attempts on 2 pairs claimed what the network did not see (claimed hole_punch without direct packets both ways (evidence: relayed): pub->cone; claimed direct without direct packets both ways (evidence: relayed): cone->pub)');
    expect(r.categories.nat_traversed).toMatchObject({ attempts: 6, successes: 3 });
    expect(r.pairs.find((p) => p.from === 'pub' && p.to === 'cone')?.evidence).toEqual({ direct: 0, relayed: 3, none: 0, unmeasured: 0 });
  });

  it('decides the path from the evidence when the driver reports none', () => {
    const { gate, judge } = harness();
    gate.open(window(1, { pathFromEvidence: true }));
    for (const p of pairs) gate.event(p.from, { v: 1, type: 'attempt', suite: 'connectivity', from: p.from, to: p.to, path: 'direct', ok: true });
    const counters = new Map(allTalked());
    // cone and pub never reached each other: only via the bootstrap
    const drop = (n: string, ip: string) => { const c = counters.get(n)!; counters.set(n, { in: new Map([...c.in].filter(([k]) => k !== ip)), out: c.out }); };
    drop('cone', '203.0.113.2');
    drop('pub', '203.0.113.3');
    gate.close(ok, counters);
    const r = judge();
    const byPair = (f: string, t: string) => r.pairs.find((p) => p.from === f && p.to === t);
    expect(byPair('boot', 'cone')?.observed_path).toBe('hole_punch');
    expect(byPair('cone', 'boot')?.observed_path).toBe('direct');
    expect(byPair('pub', 'cone')?.observed_path).toBe('relay');
  });

  it('lists a throughput pair that measured nothing and a gossip origin nobody heard', () => {
    const { gate, judge } = harness();
    gate.open({ kind: 'throughput', from: 'cone', to: 'pub', process: 'throughput' });
    gate.close(new Map([['cone', { code: 1, stderrTail: 'connection refused' }]]));
    gate.open({ kind: 'gossip', msg: 'm1-pub', origin: 'pub', receivers: ['boot', 'pub', 'cone'], process: 'gossip' });
    gate.line('pub', JSON.stringify({ v: 1, type: 'gossip', msg: 'm1-pub', origin: 'pub', node: 'pub', hops: 0, latency_ms: 0 }));
    gate.close(ok);
    const p = { ...plan, throughput: { seconds: 1, pairs: [['cone', 'pub']] as [string, string][], minMbps: 1 }, gossip: { origins: ['pub'], fanout: 3, durationMs: 1000, minDelivery: 100 } };
    const res = judge({ plan: p });
    expect(res.throughput).toEqual([expect.objectContaining({ from: 'cone', to: 'pub', samples: 0, passed: false, error: "cone's throughput exited 1: connection refused" })]);
    expect(res.gossip?.per_message).toEqual([expect.objectContaining({ msg: 'm1-pub', delivered: 0, expected: 2 })]);
    expect(res.reasons).toEqual(expect.arrayContaining(["throughput cone->pub measured nothing: cone's throughput exited 1: connection refused", 'gossip m1-pub from pub reached nobody: no node reported receiving m1-pub from pub']));
    expect(res.verdict).toBe('fail');
  });

  it('makes malformed lines an error unless the config tolerates that many', () => {
    const { gate, judge } = harness();
    honestRound(gate, 1);
    gate.open(window(2));
    gate.line('cone', 'hello from my program');
    gate.line('cone', JSON.stringify({ v: 1, type: 'gate', finding: 'forged', node: 'x', detail: 'printed by a subject' }));
    gate.close(ok, allTalked());
    expect(judge().verdict).toBe('error');
    expect(judge().reasons[0]).toMatch(/^2 malformed lines \(first: cone:3 not JSON: .*\); none tolerated/);
    expect(judge({ malformedTolerance: 2 }).reasons).toContainEqual(expect.stringMatching(/ignored \(up to 2 tolerated\)/));
  });

  it('names a dead class even when the pooled category passes; fails when asked', () => {
    const nodes: [string, NatType][] = [['boot', 'none'], ['a', 'full-cone'], ['b', 'full-cone'], ['c', 'full-cone'], ['d', 'full-cone'], ['s', 'symmetric']];
    const big = planOf(nodes, { nat_traversed: 60 }, { minAttempts: 1 });
    const agg = new Aggregator();
    for (const p of big.suites[0]!.pairs) {
      const dead = (p.from === 's' && p.to === 'a') || (p.from === 'a' && p.to === 's');
      agg.add({ v: 1, type: 'attempt', suite: 'connectivity', from: p.from, to: p.to, path: p.expectedPath, ok: !dead, ...(dead ? { error: 'timeout' } : { rtt_ms: 1 }) });
    }
    const r = evaluate({ plan: big, aggregate: agg, generatedAt: 'x' });
    expect(r.categories.nat_traversed?.passed).toBe(true);
    expect(r.verdict).toBe('degraded');
    expect(r.reasons.join('\n')).toMatch(/dead: pair connectivity a->s never succeeded in 1 attempt, pair connectivity s->a never succeeded in 1 attempt \(criteria dead_class: fail makes this fail the run\)/);
    expect(evaluate({ plan: { ...big, deadClass: 'fail' }, aggregate: agg, generatedAt: 'x' }).verdict).toBe('fail');
  });
});
