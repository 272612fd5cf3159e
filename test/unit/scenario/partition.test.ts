import { describe, expect, it } from 'vitest';
import { parseDroppedPackets, planPartition, renderHealScript, renderPartitionRuleset, renderPartitionScript } from '../../../src/lab/recipes/partition.js';

const a = { name: 'a', addresses: ['10.0.0.2'] };
const b = { name: 'b', addresses: ['10.0.0.3', '10.8.0.2'] };
const c = { name: 'c', addresses: ['10.0.0.4'] };

describe('partition renderer', () => {
  it('cuts every member of a group off from every member of the other groups, never from itself', () => {
    expect(planPartition([[a], [b, c]])).toEqual([
      { node: 'a', blocked: ['10.0.0.3', '10.8.0.2', '10.0.0.4'], blockedNodes: ['b', 'c'] },
      { node: 'b', blocked: ['10.0.0.2'], blockedNodes: ['a'] },
      { node: 'c', blocked: ['10.0.0.2'], blockedNodes: ['a'] },
    ]);
    // cloud nodes in one VPC may share a private address with nothing else; an own address is never cut
    const twin = { name: 'd', addresses: ['10.0.0.5', '10.8.0.2'] };
    expect(planPartition([[twin], [b]])[0]?.blocked).toEqual(['10.0.0.3']);
  });

  it('refuses a node in two groups, an empty group, one group, and what is not an address', () => {
    expect(() => planPartition([[a], [a, b]])).toThrow('partition: node a is in group 1 and group 2');
    expect(() => planPartition([[a], []])).toThrow('partition: group 2 is empty');
    expect(() => planPartition([[a, b]])).toThrow('at least two groups');
    expect(() => planPartition([[a], [{ name: 'x', addresses: ['10.0.0.300'] }]])).toThrow('"10.0.0.300" is not an IPv4 address');
  });

  it('drops only the asked protocol, both ways, before conntrack', () => {
    const cut = planPartition([[a], [b]])[0]!;
    const udp = renderPartitionRuleset(cut, 'udp');
    expect(udp).toContain('elements = { 10.0.0.3, 10.8.0.2 }');
    expect(udp).toContain('type filter hook prerouting priority raw - 10; policy accept;');
    expect(udp.match(/meta l4proto udp counter drop/g)).toHaveLength(3);
    expect(udp).not.toContain('tcp');
    expect(renderPartitionRuleset(cut, 'tcp').match(/meta l4proto tcp counter drop/g)).toHaveLength(3);
    const all = renderPartitionRuleset(cut, 'all');
    expect(all).not.toContain('l4proto');
    expect(all).toContain('ip saddr @cut counter drop');
    expect(all).toContain('ip daddr @cut counter drop');
    expect(() => renderPartitionRuleset(cut, 'icmp' as never)).toThrow('protocol must be udp, tcp or all');
  });

  it('renders one script for every kind of machine: atomic replace with nft, and an idempotent heal', () => {
    const script = renderPartitionScript(planPartition([[a], [b]])[1]!, 'all');
    expect(script.split('\n').slice(0, 3)).toEqual(["nft -f - <<'VT_PARTITION'", 'table inet vtpart', 'delete table inet vtpart']);
    expect(script.endsWith('}\nVT_PARTITION')).toBe(true);
    expect(renderHealScript()).toBe('nft delete table inet vtpart 2>/dev/null || true');
  });

  it('sums the dropped packets of a listing', () => {
    expect(parseDroppedPackets('ip saddr @cut meta l4proto udp counter packets 5 bytes 300 drop\n ip daddr @cut meta l4proto udp counter packets 2 bytes 80 drop')).toBe(7);
    expect(parseDroppedPackets('')).toBe(0);
  });
});
