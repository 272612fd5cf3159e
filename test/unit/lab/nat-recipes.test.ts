import { describe, expect, it } from 'vitest';
import { NAT_KINDS, renderNatRuleset, replaceTable, type NatKind } from '../../../src/lab/recipes/nat.js';
import { chainByHook, parseRuleset } from './nft-parse.js';

const CTL = '198.18.3.1';
const render = (nat: NatKind, extra: Partial<Parameters<typeof renderNatRuleset>[1]> = {}) =>
  parseRuleset(renderNatRuleset(nat, { sshFrom: [CTL], ...extra }));

// nft keywords that must not be chain names (DESIGN 5); the hook names themselves too.
const KEYWORDS = ['fwd', 'in', 'input', 'output', 'forward', 'prerouting', 'postrouting', 'filter', 'nat', 'table', 'chain'];

describe('NAT rulesets', () => {
  it.each(NAT_KINDS)('%s: masquerade of the node traffic only, and wan drops in forward AND input after the established accept', (nat) => {
    const t = render(nat);
    expect(t.family).toBe('ip');
    const [post] = chainByHook(t, 'postrouting', 'nat');
    expect(post?.priority).toBe('srcnat');
    expect(post?.rules).toEqual([nat === 'symmetric' ? 'iifname "lan" oifname "wan" masquerade random' : 'iifname "lan" oifname "wan" masquerade']);
    for (const hook of ['forward', 'input']) {
      const [chain] = chainByHook(t, hook, 'filter');
      expect(chain, hook).toBeDefined();
      const rules = chain?.rules ?? [];
      expect(rules[0]).toBe('iifname "wan" ct state established,related accept');
      expect(rules[rules.length - 1]).toBe('iifname "wan" drop');
    }
    for (const name of Object.keys(t.chains)) expect(KEYWORDS).not.toContain(name);
  });

  it.each(NAT_KINDS)('%s: the router admits TCP 22 on wan from the controller only, before the drop', (nat) => {
    const rules = chainByHook(render(nat), 'input', 'filter')[0]?.rules ?? [];
    const ssh = rules.findIndex((r) => r.includes('tcp dport 22'));
    expect(rules[ssh]).toBe(`iifname "wan" ip saddr { ${CTL} } tcp dport 22 accept`);
    expect(ssh).toBeLessThan(rules.indexOf('iifname "wan" drop'));
    expect(rules.filter((r) => r.includes('accept'))).toHaveLength(2);
  });

  it('cones keep a dynamic fullcone map filled just before source NAT and DNAT inbound from it', () => {
    for (const nat of ['full-cone', 'address-restricted'] as const) {
      const t = render(nat);
      expect(t.maps.fullcone?.[0]).toBe('type inet_service : ipv4_addr . inet_service');
      expect(t.maps.fullcone?.[1]).toMatch(/flags dynamic,timeout/);
      const [track] = chainByHook(t, 'postrouting', 'filter');
      expect(track?.priority).toBe('srcnat - 1');
      expect(track?.rules).toContain('oifname "wan" meta l4proto udp update @fullcone { udp sport timeout 300s : ip saddr . udp sport }');
      const [dnat] = chainByHook(t, 'prerouting', 'nat');
      expect(dnat?.priority).toBe('dstnat');
      expect(dnat?.rules[0]).toMatch(/dnat ip to udp dport map @fullcone$/);
      expect(chainByHook(t, 'forward', 'filter')[0]?.rules).toContain('iifname "wan" ct status dnat accept');
    }
  });

  it('full cone DNATs from anyone; address-restricted only from addresses it contacted', () => {
    const full = render('full-cone');
    expect(full.sets).toEqual({});
    expect(chainByHook(full, 'prerouting')[0]?.rules).toEqual(['iifname "wan" meta l4proto udp dnat ip to udp dport map @fullcone']);
    const ar = render('address-restricted');
    expect(ar.sets.contacted?.[0]).toBe('type ipv4_addr . inet_service');
    expect(chainByHook(ar, 'postrouting', 'filter')[0]?.rules).toContain(
      'oifname "wan" meta l4proto udp update @contacted { ip daddr . udp sport timeout 300s }',
    );
    expect(chainByHook(ar, 'prerouting')[0]?.rules).toEqual([
      'iifname "wan" meta l4proto udp ip saddr . udp dport @contacted dnat ip to udp dport map @fullcone',
    ]);
  });

  it('port-restricted and symmetric have no map, no DNAT and no dnat accept', () => {
    for (const nat of ['port-restricted', 'symmetric'] as const) {
      const t = render(nat);
      expect(t.maps).toEqual({});
      expect(t.sets).toEqual({});
      expect(chainByHook(t, 'prerouting')).toEqual([]);
      expect(chainByHook(t, 'forward')[0]?.rules.some((r) => r.includes('dnat'))).toBe(false);
    }
  });

  it('honours the wan name, an open sshd, the table name and the mapping timeout', () => {
    const t = render('full-cone', { wan: 'eth0', sshFrom: [], table: 'x', mappingTimeoutS: 60 });
    expect(t.name).toBe('x');
    expect(chainByHook(t, 'input')[0]?.rules).toContain('iifname "eth0" tcp dport 22 accept');
    expect(t.maps.fullcone?.[1]).toContain('timeout 60s');
    expect(JSON.stringify(t)).not.toContain('"wan"');
  });

  it('rejects an unknown NAT type with the allowed values', () => {
    expect(() => renderNatRuleset('none' as NatKind, { sshFrom: [] })).toThrow(/full-cone, address-restricted, port-restricted, symmetric/);
  });

  it('replaceTable declares, deletes, then defines the table (atomic replace with nft -f)', () => {
    const text = replaceTable('vtnat', renderNatRuleset('symmetric', { sshFrom: [] }));
    expect(text.split('\n').slice(0, 3)).toEqual(['table ip vtnat', 'delete table ip vtnat', 'table ip vtnat {']);
  });
});
