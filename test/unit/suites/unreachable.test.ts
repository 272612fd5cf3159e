// A node the SSH pool gave up on (or the provider never reached) gets no more work: the suites
// skip it, and the gate records each of its planned pairs, throughputs and messages as failed
// with "node X unreachable since ...", never absent. Fake pool and driver, real gate.
import { describe, expect, it } from 'vitest';
import { Gate, type Outcome } from '../../../src/results/gate.js';
import type { Fleet, FleetNode } from '../../../src/providers/types.js';
import type { Plan, PlannedPair, PlannedSuite } from '../../../src/plan/types.js';
import type { SshPool, Unreachable } from '../../../src/ssh/index.js';
import type { DriverContext, SubjectDriver } from '../../../src/subject/index.js';
import { runPairSuite } from '../../../src/suites/pairs.js';
import { runThroughputSuite } from '../../../src/suites/throughput.js';
import { runGossipSuite } from '../../../src/suites/gossip.js';

const fleetNode = (name: string): FleetNode => ({ name, role: 'peer', nat: 'none', arch: 'x86_64', publicIp: `10.0.0.${name.charCodeAt(0)}`, privateIp: '', ssh: { host: '', port: 22, user: 'root', hostKey: '' }, workdir: '/w', execPrefix: [], resources: [], systemd: false });

function setup(names: string[], gone: string[] = []) {
  const down: Unreachable[] = [];
  const pool = { unreachableNodes: () => [...down] } as unknown as SshPool;
  const fleet: Fleet = { runId: 'u', provider: 'fake', nodes: names.map(fleetNode), clientKeyPath: '/none', ...(gone.length && { unreachable: gone.map((name) => ({ name, reason: 'connect timed out' })) }) };
  const records: Record<string, unknown>[] = [];
  const gate = new Gate({ nodes: fleet.nodes.map((n) => ({ name: n.name, publicIp: n.publicIp, nat: n.nat })), relays: [], write: (r) => records.push(r as unknown as Record<string, unknown>) });
  const ctx: DriverContext = { fleet, pool, plan: {} as Plan, binPath: () => '/bin/x', server: { ip: '', port: 0 }, gate, log: () => undefined };
  const asked: string[] = [];
  /** `dies`: at this round the node's probe fails and the pool marks it unreachable */
  const driver = (dies?: { node: string; round: number }): SubjectDriver => ({
    name: 'command',
    process: { pairs: 'connect command', throughput: 'throughput command', gossip: 'publish command' },
    pathFromEvidence: true,
    async pairRound(c, suite, round) {
      const outcomes = new Map<string, Outcome>();
      for (const p of suite.pairs) {
        asked.push(`${round}:${p.from}>${p.to}`);
        if (dies && round === dies.round && (p.from === dies.node || p.to === dies.node)) {
          if (p.from === dies.node) outcomes.set(p.from, { code: null, error: 'lost the connection to node' });
          continue;
        }
        c.gate.event(p.from, { v: 1, type: 'attempt', suite: suite.name, from: p.from, to: p.to, path: 'direct', ok: true, rtt_ms: 1 });
      }
      if (dies && round === dies.round) down.push({ node: dies.node, since: new Date(), reason: 'lost the connection' });
      return outcomes;
    },
    async throughputPair(c, from, to) {
      asked.push(`throughput:${from.name}>${to.name}`);
      c.gate.event(from.name, { v: 1, type: 'throughput', from: from.name, to: to.name, bytes: 1000, seconds: 1, mbps: 8 });
      return { code: 0 };
    },
    async gossip(c, origin, msg) {
      asked.push(`gossip:${origin.name}:${c.fleet.nodes.map((n) => n.name).join(',')}`);
      for (const n of c.fleet.nodes) c.gate.event(n.name, { v: 1, type: 'gossip', msg, origin: origin.name, node: n.name, hops: 1, latency_ms: 5 });
      return new Map();
    },
  });
  const evidence = Object.assign(async () => undefined, { stats: { reads: 0, ms: 0 } });
  return { ctx, records, asked, driver, deps: (d: SubjectDriver) => ({ driver: d, evidence, flushNat: async () => undefined, roundBase: 0 }) };
}

const pairsOf = (names: string[]): PlannedPair[] => names.flatMap((a) => names.filter((b) => b !== a).map((b) => ({ from: a, to: b, expectedPath: 'direct' as const })));
const attempts = (records: Record<string, unknown>[]) => records.filter((r) => r.type === 'attempt');

describe('suites skip unreachable nodes', () => {
  it('a node the pool marks in round 2 is never probed again; its pairs fail with "since round 2"', async () => {
    const names = ['a', 'b', 'c'];
    const s = setup(names);
    const suite: PlannedSuite = { name: 'connectivity', trials: 4, pairs: pairsOf(names) };
    await runPairSuite(s.ctx, suite, s.deps(s.driver({ node: 'b', round: 2 })));
    // every planned pair has an attempt in every round: 6 pairs x 4 rounds
    expect(attempts(s.records)).toHaveLength(24);
    expect(s.asked.filter((x) => /^[34]:/.test(x) && x.includes('b'))).toEqual([]);
    expect(s.asked.filter((x) => /^[34]:/.test(x))).toEqual(['3:a>c', '3:c>a', '4:a>c', '4:c>a']);
    const ofB = attempts(s.records).filter((r) => (r.from === 'b' || r.to === 'b') && (r.trial as number) >= 2);
    expect(ofB).toHaveLength(12);
    for (const r of ofB) expect(r).toMatchObject({ ok: false, error: 'node b unreachable since round 2 of connectivity' });
    expect(attempts(s.records).filter((r) => r.ok)).toHaveLength(6 + 2 * 3);
  });

  it('a node the provider never reached: no pair, throughput or gossip is sent to it, each is failed naming it', async () => {
    const s = setup(['a', 'c'], ['gone']);
    const d = s.driver();
    await runPairSuite(s.ctx, { name: 'connectivity', trials: 2, pairs: pairsOf(['a', 'gone', 'c']) }, s.deps(d));
    const failed = attempts(s.records).filter((r) => !r.ok);
    expect(failed).toHaveLength(8);
    for (const r of failed) expect(r.error).toBe('node gone unreachable since provisioning (connect timed out)');
    expect(s.asked.some((x) => x.includes('gone'))).toBe(false);

    await runThroughputSuite(s.ctx, d, 1, [['a', 'gone'], ['a', 'c']]);
    expect(s.asked).toContain('throughput:a>c');
    expect(s.records).toContainEqual(expect.objectContaining({ finding: 'no_result', suite: 'throughput', from: 'a', to: 'gone', detail: 'node gone unreachable since provisioning (connect timed out)' }));

    await runGossipSuite(s.ctx, d, { origins: ['gone', 'a'], durationMs: 10, roundBase: 0 });
    expect(s.asked.filter((x) => x.startsWith('gossip:'))).toEqual(['gossip:a:a,c']);
    expect(s.records).toContainEqual(expect.objectContaining({ finding: 'no_result', suite: 'gossip', origin: 'gone', detail: 'node gone unreachable since provisioning (connect timed out)' }));
  });
});
