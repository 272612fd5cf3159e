import { describe, expect, it } from 'vitest';
import { delayerArgs, delayQueueStep, needsDelay, renderHopsRuleset, validateInternet } from '../../../src/lab/recipes/internet.js';
import { delayerImpairment, inetSteps, linkImpairment, machineSteps, planTopology, TopologyError } from '../../../src/lab/topology.js';

/** What the ruleset does to a packet arriving with `ttl` (before the router's own decrement). */
function ttlAfter(ruleset: string, ttl: number): number {
  const vmap = /ip ttl vmap \{ (.+) \}/.exec(ruleset)?.[1] ?? '';
  for (const entry of vmap.split(', ')) {
    const [key, verdict] = entry.split(' : ');
    const [lo, hi] = (key as string).split('-').map(Number);
    if (ttl >= (lo as number) && ttl <= (hi ?? lo)!) {
      const chain = (verdict as string).replace('jump ', '');
      const set = new RegExp(`chain ${chain} \\{\\n\\s+ip ttl set (\\d+)`).exec(ruleset)?.[1];
      return Number(set);
    }
  }
  return ttl;
}

describe('lab internet recipes', () => {
  it('hops: a packet with TTL <= hops dies at the router (TTL set to 1), others arrive with TTL - hops', () => {
    const rules = renderHopsRuleset(12);
    for (let ttl = 1; ttl <= 12; ttl++) expect(ttlAfter(rules, ttl), `ttl ${ttl}`).toBe(1); // the kernel then drops it: time exceeded
    // the router itself takes one more off when forwarding
    expect(ttlAfter(rules, 13) - 1).toBe(1);
    expect(ttlAfter(rules, 64) - 1).toBe(52);
    expect(ttlAfter(rules, 255) - 1).toBe(243);
    expect(renderHopsRuleset(1)).not.toContain('vmap'); // the router alone is the one hop
    expect(() => renderHopsRuleset(0)).toThrow(/1\.\.64/);
  });

  it('delay: half the round trip each way, regions numbered, a region pair for both directions', () => {
    const internet = { hops: 12, rttMs: 40, regions: [{ between: ['eu', 'us'] as [string, string], rttMs: 100 }] };
    expect(needsDelay(internet)).toBe(true);
    expect(needsDelay({ hops: 12, rttMs: 0, regions: [] })).toBe(false);
    expect(delayerArgs(internet, [{ publicIps: ['198.18.0.10'], region: 'eu' }, { publicIps: ['198.18.0.11'] }, { publicIps: ['198.18.0.12', '198.18.0.13'], region: 'us' }])).toEqual([
      '0', '20000', '198.18.0.10=1', '198.18.0.12=2', '198.18.0.13=2', '1-2=50000',
    ]);
  });

  it('the delay queue skips the controller and has no bypass (no delayer: packets are dropped, never undelayed)', () => {
    const step = delayQueueStep('vtx-inet', 'ctl');
    expect(step.argv.join(' ')).toBe('iptables-nft -w -t mangle -A FORWARD ! -i ctl ! -o ctl -j NFQUEUE --queue-num 0');
    expect(step.argv).not.toContain('--queue-bypass');
  });

  it('the topology carries the internet with defaults; bad values and unknown regions are refused', () => {
    const nodes = [{ name: 'a', nat: 'none' as const, role: 'peer' as const, region: 'eu' }, { name: 'b', nat: 'none' as const, role: 'peer' as const }];
    const t = planTopology(nodes, { runId: 'r', subnetIndex: 0, labRoot: '/lab' });
    expect(t.internet).toEqual({ hops: 12, rttMs: 0, regions: [] });
    const steps = inetSteps(t);
    expect(steps.some((s) => s.argv[0] === 'nft' && s.input?.includes('ip ttl vmap'))).toBe(true);
    expect(steps.some((s) => s.argv[0] === 'iptables-nft')).toBe(false); // no delay asked: no queue
    const slow = planTopology(nodes, { runId: 'r', subnetIndex: 0, labRoot: '/lab', internet: { rttMs: 30 } });
    expect(inetSteps(slow).some((s) => s.argv[0] === 'iptables-nft')).toBe(true);
    const bad = (internet: object) => () => planTopology(nodes, { runId: 'r', subnetIndex: 0, labRoot: '/lab', internet });
    expect(bad({ hops: 0 })).toThrow(TopologyError);
    expect(bad({ rttMs: -1 })).toThrow(/rtt/);
    expect(bad({ regions: [{ between: ['eu', 'mars'], rttMs: 10 }] })).toThrow(/no node has region "mars"/);
    expect(validateInternet({ hops: 3, rttMs: 0, regions: [] }, [])).toBeUndefined();
  });
});

describe('a node’s own delay and jitter without netem', () => {
  it('go to the delayer (added to what the node sends); with netem they stay on the link', () => {
    expect(linkImpairment({ delayMs: 60, lossPercent: 1 }, false)).toEqual({ lossPercent: 1 });
    expect(linkImpairment({ delayMs: 60 }, true)).toEqual({ delayMs: 60 });
    expect(linkImpairment({ delayMs: 60, jitterMs: 5, rateKbit: 100 }, false)).toEqual({ rateKbit: 100 });
    expect(linkImpairment({ jitterMs: 5 }, true)).toEqual({ jitterMs: 5 });
    const t = planTopology(
      [
        { name: 'far', nat: 'symmetric', role: 'peer', impair: { delayMs: 60 } },
        { name: 'b', nat: 'none', role: 'peer' },
        { name: 'shaky', nat: 'none', role: 'peer', impair: { delayMs: 10, jitterMs: 4 } },
      ],
      { runId: 'r', subnetIndex: 0, labRoot: '/lab' },
    );
    expect(delayerImpairment(t.machines[0]!, false)).toEqual({ delayMs: 60 });
    expect(delayerImpairment(t.machines[0]!, true)).toBeUndefined();
    expect(delayerImpairment(t.machines[1]!, false)).toBeUndefined();
    expect(delayerImpairment(t.machines[2]!, false)).toEqual({ delayMs: 10, jitterMs: 4 });
    expect(machineSteps(t, t.machines[0]!, { netem: false }).some((s) => s.argv.includes('netem'))).toBe(false);
    expect(machineSteps(t, t.machines[2]!, { netem: false }).some((s) => s.argv.includes('netem'))).toBe(false);
    expect(machineSteps(t, t.machines[2]!, { netem: true }).some((s) => s.argv.includes('netem'))).toBe(true);
    expect(delayerArgs({ hops: 12, rttMs: 0, regions: [] }, [{ publicIps: ['198.18.0.10'], extraDelayMs: 60 }])).toEqual(['0', '0', '198.18.0.10+60000']);
    expect(delayerArgs({ hops: 12, rttMs: 0, regions: [] }, [{ publicIps: ['198.18.0.10'], extraJitterMs: 4 }])).toEqual(['0', '0', '198.18.0.10+0~4000']);
    expect(inetSteps(t, { delayer: true }).some((s) => s.argv[0] === 'iptables-nft')).toBe(true);
  });

  it('internet jitter: a round trip varies within rtt +- jitter, so each direction +- half; regions have their own', () => {
    const internet = { hops: 12, rttMs: 40, jitterMs: 10, regions: [{ between: ['eu', 'us'] as [string, string], rttMs: 100, jitterMs: 20 }] };
    expect(needsDelay({ hops: 12, rttMs: 0, jitterMs: 2, regions: [] })).toBe(true);
    expect(delayerArgs(internet, [{ publicIps: ['198.18.0.10'], region: 'eu' }, { publicIps: ['198.18.0.11'], region: 'us' }])).toEqual([
      '0', '20000~5000', '198.18.0.10=1', '198.18.0.11=2', '1-2=50000~10000',
    ]);
    expect(validateInternet({ hops: 3, rttMs: 0, jitterMs: -1, regions: [] }, [])).toMatch(/jitter/);
  });
});
