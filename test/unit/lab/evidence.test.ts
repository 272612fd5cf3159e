import { describe, expect, it } from 'vitest';
import { countersSince, evidenceStep, parseEvidenceCounters, readCountersArgv, renderEvidenceRuleset } from '../../../src/lab/recipes/evidence.js';

describe('path evidence counters', () => {
  it('counts after the NAT filter on a router (forward hook), at input/output on a public machine', () => {
    const router = renderEvidenceRuleset({ publicIface: 'wan', routed: true });
    expect(router).toContain('type filter hook forward priority filter + 10; policy accept;');
    expect(router).toContain('iifname "wan" update @peer_in { ip saddr }');
    expect(router).toContain('oifname "wan" update @peer_out { ip daddr }');
    const machine = renderEvidenceRuleset({ publicIface: 'eth0', routed: false });
    expect(machine).toContain('type filter hook input priority filter + 10');
    expect(machine).toContain('type filter hook output priority filter + 10');
    expect(evidenceStep('ns1', { publicIface: 'eth0', routed: false })).toMatchObject({ ns: 'ns1', argv: ['nft', '-f', '-'] });
    expect(readCountersArgv()).toEqual(['nft', '-j', 'list', 'table', 'ip', 'vt_evidence']);
  });

  it('parses nft -j output into packets per remote address', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { set: { name: 'peer_in', elem: [{ elem: { val: '203.0.113.2', counter: { packets: 7, bytes: 300 } } }] } },
        { set: { name: 'peer_out', elem: [{ elem: { val: '203.0.113.2', counter: { packets: 3, bytes: 90 } } }, { elem: { val: '203.0.113.9', counter: { packets: 1, bytes: 40 } } }] } },
        { set: { name: 'other', elem: [{ elem: { val: '1.1.1.1', counter: { packets: 9 } } }] } },
      ],
    });
    const c = parseEvidenceCounters(json);
    expect([...c.in]).toEqual([['203.0.113.2', 7]]);
    expect([...c.out]).toEqual([['203.0.113.2', 3], ['203.0.113.9', 1]]);
  });

  it('gives a round what was counted since the last read', () => {
    const before = { in: new Map([['a', 5]]), out: new Map([['a', 2]]) };
    const now = { in: new Map([['a', 9], ['b', 1]]), out: new Map([['a', 2]]) };
    expect(countersSince(now, before)).toEqual({ in: new Map([['a', 4], ['b', 1]]), out: new Map() });
    expect(countersSince(now, undefined)).toEqual(now);
  });
});
