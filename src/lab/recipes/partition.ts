// Network partitions between groups of nodes (scenario steps `partition` / `heal`): an nftables
// table on each machine's public side that drops its traffic with the nodes of the other
// groups, for one protocol or all. The same text runs on a lab machine (its namespace, or its
// NAT router's for a NAT'd node) and, as a script, on a cloud or inventory node (root, nft).
// Pure: addresses in, ruleset and script text out. See docs/architecture.md "Scenarios".

export const PARTITION_TABLE = 'vtpart';
export type PartitionProtocol = 'udp' | 'tcp' | 'all';

export interface PartitionMember {
  name: string;
  /** Every address of the node: its public address and, when different, its private one. */
  addresses: string[];
}

export interface PartitionCut {
  /** The machine the rules are for. */
  node: string;
  /** Addresses of the nodes in the other groups: every packet to or from them is dropped. */
  blocked: string[];
  /** The nodes those addresses belong to, for the report. */
  blockedNodes: string[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/;

function checkAddress(address: string): string {
  const m = IPV4.exec(address);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) throw new Error(`partition: "${address}" is not an IPv4 address`);
  return address;
}

/**
 * Which addresses each machine drops: every member of a group cuts itself off from every
 * member of every other group. A node in two groups is a contradiction and is refused; nodes in
 * no group are untouched. Addresses the machine holds itself are never blocked.
 */
export function planPartition(groups: readonly (readonly PartitionMember[])[]): PartitionCut[] {
  if (groups.length < 2) throw new Error('partition: at least two groups are needed');
  const groupOf = new Map<string, number>();
  groups.forEach((group, g) => {
    if (group.length === 0) throw new Error(`partition: group ${g + 1} is empty`);
    for (const member of group) {
      const other = groupOf.get(member.name);
      if (other !== undefined && other !== g) throw new Error(`partition: node ${member.name} is in group ${other + 1} and group ${g + 1}`);
      groupOf.set(member.name, g);
    }
  });
  const cuts: PartitionCut[] = [];
  groups.forEach((group, g) => {
    const others = groups.filter((_, h) => h !== g).flat();
    for (const member of group) {
      const own = new Set(member.addresses);
      const blocked = [...new Set(others.flatMap((o) => o.addresses).map(checkAddress))].filter((a) => !own.has(a));
      cuts.push({ node: member.name, blocked, blockedNodes: others.map((o) => o.name) });
    }
  });
  return cuts;
}

function match(protocol: PartitionProtocol): string {
  if (protocol === 'all') return '';
  if (protocol !== 'udp' && protocol !== 'tcp') throw new Error(`partition: protocol must be udp, tcp or all, got "${String(protocol)}"`);
  return ` meta l4proto ${protocol}`;
}

/**
 * The ruleset. Prerouting (before conntrack, so established flows are cut too) sees what
 * arrives for the machine and, on a NAT router, what its node sends through it; output sees
 * what the machine itself sends. Counters tell the report how much was dropped.
 */
export function renderPartitionRuleset(cut: PartitionCut, protocol: PartitionProtocol, table = PARTITION_TABLE): string {
  const l4 = match(protocol);
  if (cut.blocked.length === 0) throw new Error(`partition: node ${cut.node} has no address to cut off`);
  const elements = cut.blocked.map(checkAddress).join(', ');
  return [
    `table inet ${table} {`,
    '  set cut {',
    '    type ipv4_addr; flags interval',
    `    elements = { ${elements} }`,
    '  }',
    '  chain part_pre {',
    '    type filter hook prerouting priority raw - 10; policy accept;',
    `    ip saddr @cut${l4} counter drop`,
    `    ip daddr @cut${l4} counter drop`,
    '  }',
    '  chain part_out {',
    '    type filter hook output priority raw - 10; policy accept;',
    `    ip daddr @cut${l4} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Shell that installs (atomically replacing any earlier partition) the ruleset with nft. */
export function renderPartitionScript(cut: PartitionCut, protocol: PartitionProtocol, table = PARTITION_TABLE): string {
  const ruleset = `table inet ${table}\ndelete table inet ${table}\n${renderPartitionRuleset(cut, protocol, table)}`;
  return `nft -f - <<'VT_PARTITION'\n${ruleset}VT_PARTITION`;
}

/** Shell that removes the partition; succeeds when there is none. */
export function renderHealScript(table = PARTITION_TABLE): string {
  return `nft delete table inet ${table} 2>/dev/null || true`;
}

/** Packets dropped so far, summed over the table's counters (`nft list table` output). */
export function parseDroppedPackets(listing: string): number {
  let total = 0;
  for (const m of listing.matchAll(/counter packets (\d+) bytes \d+ drop/g)) total += Number(m[1]);
  return total;
}
