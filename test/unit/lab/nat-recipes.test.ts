import { describe, expect, it } from 'vitest';
import { NAT_KINDS, natStateFlush, renderNatRuleset, replaceTable, type NatKind } from '../../../src/lab/recipes/nat.js';
import { chainByHook, parseRuleset } from './nft-parse.js';

const CTL = '198.18.3.1';
const WAN_IP = '198.18.3.12';
const render = (nat: NatKind, extra: Partial<Parameters<typeof renderNatRuleset>[1]> = {}) =>
  parseRuleset(renderNatRuleset(nat, { sshFrom: [CTL], wanIp: WAN_IP, ...extra }));
const L4 = 'meta l4proto { tcp, udp }';

// nft keywords that must not be chain names (docs/architecture.md ("The NAT oracle")); the hook names themselves too.
const KEYWORDS = ['fwd', 'in', 'input', 'output', 'forward', 'prerouting', 'postrouting', 'filter', 'nat', 'table', 'chain'];

describe('NAT rulesets', () => {
  it.each(NAT_KINDS)('%s: masquerade of the node traffic only, and wan drops in forward AND input after the established accept', (nat) => {
    const t = render(nat);
    expect(t.family).toBe('ip');
    const [post] = chainByHook(t, 'postrouting', 'nat');
    expect(post?.priority).toBe('srcnat');
    const out = post?.rules.filter((r) => r.includes('oifname "wan"'));
    expect(out).toEqual({
      'full-cone': ['iifname "lan" oifname "wan" masquerade'],
      'address-restricted': ['iifname "lan" oifname "wan" masquerade'],
      'port-restricted': ['iifname "lan" oifname "wan" masquerade'],
      symmetric: ['iifname "lan" oifname "wan" masquerade random'],
      'symmetric-sequential': [
        `iifname "lan" oifname "wan" ${L4} snat ip to ${WAN_IP} : numgen inc mod 1024 map { ${Array.from({ length: 1024 }, (_, i) => `${i} : ${20000 + i}`).join(', ')} }`,
        'iifname "lan" oifname "wan" masquerade',
      ],
      'port-restricted-remapped': [
        `iifname "lan" oifname "wan" ${L4} th sport 1024-65535 snat ip to ${WAN_IP} : th sport map @remap`,
        'iifname "lan" oifname "wan" masquerade',
      ],
    }[nat]);
    expect(post?.rules.every((r) => r.startsWith('iifname "lan"'))).toBe(true); // never the router's own traffic
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

  it('endpoint-independent types keep a TCP+UDP map filled just before source NAT; the cones DNAT inbound from it', () => {
    for (const nat of ['full-cone', 'address-restricted', 'port-restricted'] as const) {
      const t = render(nat);
      expect(t.maps.fullcone?.[0]).toBe('type inet_proto . inet_service : ipv4_addr . inet_service');
      expect(t.maps.fullcone?.[1]).toMatch(/flags dynamic,timeout/);
      const [track] = chainByHook(t, 'postrouting', 'filter');
      expect(track?.priority).toBe('srcnat - 1');
      expect(track?.rules).toContain(`oifname "wan" ${L4} update @fullcone { meta l4proto . th sport timeout 300s : ip saddr . th sport }`);
      const [dnat] = chainByHook(t, 'prerouting', 'nat');
      expect(dnat?.priority).toBe('dstnat');
      const fromWan = dnat?.rules.filter((r) => r.startsWith('iifname "wan"')) ?? [];
      if (nat === 'port-restricted') expect(fromWan).toEqual([]); // its map serves hairpinning only
      else expect(fromWan[0]).toMatch(/dnat ip to meta l4proto \. th dport map @fullcone$/);
      expect(chainByHook(t, 'forward', 'filter')[0]?.rules.includes('iifname "wan" ct status dnat accept')).toBe(nat !== 'port-restricted');
    }
  });

  it('full cone DNATs from anyone; address-restricted only from addresses it contacted', () => {
    const full = render('full-cone', { hairpin: false });
    expect(full.sets).toEqual({});
    expect(chainByHook(full, 'prerouting')[0]?.rules).toEqual([`iifname "wan" ${L4} dnat ip to meta l4proto . th dport map @fullcone`]);
    const ar = render('address-restricted', { hairpin: false });
    expect(ar.sets.contacted?.[0]).toBe('type ipv4_addr . inet_proto . inet_service');
    expect(chainByHook(ar, 'postrouting', 'filter')[0]?.rules).toContain(
      `oifname "wan" ${L4} update @contacted { ip daddr . meta l4proto . th sport timeout 300s }`,
    );
    expect(chainByHook(ar, 'prerouting')[0]?.rules).toEqual([
      `iifname "wan" ${L4} ip saddr . meta l4proto . th dport @contacted dnat ip to meta l4proto . th dport map @fullcone`,
    ]);
  });

  it('hairpinning (default on where the mapping is endpoint-independent): DNAT from the LAN to the own public address, source NAT to it', () => {
    for (const nat of ['full-cone', 'address-restricted', 'port-restricted'] as const) {
      const t = render(nat);
      expect(chainByHook(t, 'prerouting')[0]?.rules).toContain(`iifname "lan" ip daddr ${WAN_IP} ${L4} dnat ip to meta l4proto . th dport map @fullcone`);
      expect(chainByHook(t, 'postrouting', 'nat')[0]?.rules).toContain(`iifname "lan" oifname "lan" ct status dnat snat ip to ${WAN_IP}`);
      const off = render(nat, { hairpin: false });
      expect(JSON.stringify(off)).not.toContain('iifname \\"lan\\" ip daddr');
      expect(JSON.stringify(off)).not.toContain('oifname \\"lan\\"');
    }
    // symmetric mappings depend on the destination: no hairpin, and asking for one is refused
    for (const nat of ['symmetric', 'symmetric-sequential'] as const) {
      expect(JSON.stringify(render(nat))).not.toContain('oifname \\"lan\\"');
      expect(() => renderNatRuleset(nat, { sshFrom: [], wanIp: WAN_IP, hairpin: true })).toThrow(/hairpinning is not available on a symmetric/);
    }
    // without the public address: off by default, an error when asked for
    expect(JSON.stringify(parseRuleset(renderNatRuleset('full-cone', { sshFrom: [] })))).not.toContain('oifname \\"lan\\"');
    expect(() => renderNatRuleset('full-cone', { sshFrom: [], hairpin: true })).toThrow(/needs the router's public address/);
    expect(() => renderNatRuleset('symmetric-sequential', { sshFrom: [] })).toThrow(/needs the router's public address/);
  });

  it('port-restricted-remapped: every port 1024-65535 has one fixed external port, none its own, no two the same', () => {
    const t = renderNatRuleset('port-restricted-remapped', { sshFrom: [], wanIp: WAN_IP });
    const elements = /map remap \{\n\s+type inet_service : inet_service\n\s+elements = \{ (.+) \}/.exec(t)?.[1]?.split(', ') ?? [];
    expect(elements).toHaveLength(64512);
    const pairs = elements.map((e) => e.split(' : ').map(Number) as [number, number]);
    expect(pairs.every(([from, to]) => from !== to && to >= 1024 && to <= 65535)).toBe(true);
    expect(new Set(pairs.map(([, to]) => to)).size).toBe(64512); // a bijection: endpoint-independent, never ambiguous
    expect(() => renderNatRuleset('port-restricted-remapped', { sshFrom: [], wanIp: WAN_IP, hairpin: true })).toThrow(/not the internal ones/);
    expect(natStateFlush('port-restricted-remapped')).toBe('');
  });

  it('symmetric types have no map and no DNAT; natStateFlush empties exactly the state a type keeps', () => {
    for (const nat of ['symmetric', 'symmetric-sequential'] as const) {
      const t = render(nat);
      expect(t.maps).toEqual({});
      expect(t.sets).toEqual({});
      expect(chainByHook(t, 'prerouting')).toEqual([]);
      expect(chainByHook(t, 'forward')[0]?.rules.some((r) => r.includes('dnat'))).toBe(false);
      expect(natStateFlush(nat)).toBe('');
    }
    expect(natStateFlush('full-cone')).toBe('flush map ip vtnat fullcone\n');
    expect(natStateFlush('port-restricted')).toBe('flush map ip vtnat fullcone\n');
    expect(natStateFlush('address-restricted')).toBe('flush map ip vtnat fullcone\nflush set ip vtnat contacted\n');
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
