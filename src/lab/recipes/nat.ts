// nftables rulesets for the NAT behaviours, for the router's namespace (or a cloud
// machine acting as its own node's router). Verified with coturn's turnutils_natdiscovery
// (docs/architecture.md, "NAT recipes beyond UDP"). Pure: options in, ruleset text out.
import type { NatType } from '../../config/model.js';

export type NatKind = Exclude<NatType, 'none'>;
export const NAT_KINDS: readonly NatKind[] = ['full-cone', 'address-restricted', 'port-restricted', 'symmetric', 'symmetric-sequential', 'port-restricted-remapped'];

export interface NatRulesetOptions {
  /** Interface facing the internet. */
  wan?: string;
  /** Interface facing the node behind the NAT. */
  lan?: string;
  /** Addresses (or CIDRs) allowed to reach the router's sshd; empty = anyone (cloud runners move). */
  sshFrom: string[];
  sshPort?: number;
  /**
   * The node behind the router runs its own sshd (a VM, docs/architecture.md "VM machines"): the
   * controller's SSH to the router's public address goes to this address, port `sshPort`.
   */
  sshTo?: string;
  table?: string;
  /** Lifetime of a cone mapping without outbound traffic, seconds. */
  mappingTimeoutS?: number;
  /** The router's public address: needed for hairpinning and for sequential port allocation. */
  wanIp?: string;
  /** RFC 4787 REQ-9 hairpinning (default: on where the type supports it and wanIp is known, see hairpinDefault). */
  hairpin?: boolean;
}

export const NAT_TABLE = 'vtnat';

const DEFAULT_MAPPING_TIMEOUT_S = 300;
/** Sequential allocation: ports 20000, 20001, ... for each new flow (CGNAT-like, predictable), then around again. */
const SEQUENTIAL_BASE = 20000;
const SEQUENTIAL_SPAN = 1024;

/**
 * A counter -> port map: nft 1.0.6 stores a bare `numgen` value in host byte order where the
 * port is read in network order (20000, 20256, ...); a map's inet_service values are converted.
 */
/**
 * Port preservation off, mapping still endpoint-independent: every internal port 1024-65535
 * has one fixed external port (a rotation by REMAP_SHIFT), whatever the destination.
 */
const REMAP_SHIFT = 7919;
export function remappedPort(internal: number): number {
  return ((internal - 1024 + REMAP_SHIFT) % 64512) + 1024;
}

function remapElements(): string {
  return Array.from({ length: 64512 }, (_, i) => `${i + 1024} : ${remappedPort(i + 1024)}`).join(', ');
}

function sequentialPorts(): string {
  return Array.from({ length: SEQUENTIAL_SPAN }, (_, i) => `${i} : ${SEQUENTIAL_BASE + i}`).join(', ');
}

function isCone(nat: NatKind): boolean {
  return nat === 'full-cone' || nat === 'address-restricted';
}

/** Types whose mapping is endpoint-independent: the router keeps the map hairpinning needs. */
function isEim(nat: NatKind): boolean {
  return isCone(nat) || nat === 'port-restricted';
}

/** Hairpinning is on by default where the mapping is endpoint-independent; symmetric NATs have none. */
export function hairpinDefault(nat: NatKind): boolean {
  return isEim(nat);
}

export class NatOptionError extends Error {
  override name = 'NatOptionError';
}

function chain(name: string, header: string, rules: string[]): string[] {
  return [`  chain ${name} {`, `    ${header}`, ...rules.map((r) => `    ${r}`), '  }'];
}

// TCP and UDP alike (RFC 4787 for UDP, RFC 5382 for TCP): the map is keyed by protocol and
// external port, `th` is the transport header of either.
const L4 = 'meta l4proto { tcp, udp }';

/**
 * The router's ruleset. Chain names avoid nft keywords (`fwd`, `in` are keywords).
 * - every type: masquerade what the node sends out on wan; forward and input drop what arrives on wan unless it belongs
 *   to a known flow. The input drop matters: an early punch packet that reached the router
 *   itself would leave a conntrack entry that later forces a new source port.
 * - endpoint-independent types (cones, port-restricted): a dynamic map protocol . external port
 *   -> internal ip . port, filled on every outbound TCP/UDP packet just before source NAT. The
 *   cones DNAT inbound from it (full cone: from anyone; address-restricted: only from addresses
 *   in `contacted`, filled on outbound); hairpinning DNATs the node's own packets to its public
 *   address from it.
 * - symmetric: `masquerade random`, a fresh random port per destination; symmetric-sequential:
 *   the next port of a counter per new flow (what port prediction exploits).
 * - port-restricted-remapped: port-restricted filtering and an endpoint-independent mapping that
 *   does not preserve the port (a fixed rotation), for subjects that assume external = local port.
 */
export function renderNatRuleset(nat: NatKind, options: NatRulesetOptions): string {
  if (!NAT_KINDS.includes(nat)) throw new Error(`unknown NAT type "${String(nat)}" (expected ${NAT_KINDS.join(', ')})`);
  // Without the public address (a cloud script rendered before the machine exists) hairpinning
  // stays off unless asked for, and then the missing address is an error.
  const hairpin = options.hairpin ?? (hairpinDefault(nat) && options.wanIp !== undefined);
  if (hairpin && !isEim(nat)) {
    const why = nat === 'port-restricted-remapped' ? 'its external ports are not the internal ones' : 'its mappings depend on the destination';
    throw new NatOptionError(`hairpinning is not available on a ${nat} NAT (${why})`);
  }
  if ((hairpin || nat === 'symmetric-sequential' || nat === 'port-restricted-remapped') && !options.wanIp) {
    throw new NatOptionError(`a ${nat} NAT${hairpin ? ' with hairpinning' : ''} needs the router's public address (wanIp)`);
  }
  const wan = JSON.stringify(options.wan ?? 'wan');
  const lan = JSON.stringify(options.lan ?? 'lan');
  const table = options.table ?? NAT_TABLE;
  const timeout = `${options.mappingTimeoutS ?? DEFAULT_MAPPING_TIMEOUT_S}s`;
  const sshPort = options.sshPort ?? 22;
  const lines: string[] = [`table ip ${table} {`];

  const dnat: string[] = [];
  if (isEim(nat)) {
    lines.push(
      '  map fullcone {',
      '    type inet_proto . inet_service : ipv4_addr . inet_service',
      `    flags dynamic,timeout; timeout ${timeout}`,
      '  }',
    );
    const track = [`oifname ${wan} ${L4} update @fullcone { meta l4proto . th sport timeout ${timeout} : ip saddr . th sport }`];
    if (options.sshTo) track.unshift(`ip saddr ${options.sshTo} tcp sport ${sshPort} return`);
    if (nat === 'full-cone') dnat.push(`iifname ${wan} ${L4} dnat ip to meta l4proto . th dport map @fullcone`);
    if (nat === 'address-restricted') {
      lines.push(
        '  set contacted {',
        '    type ipv4_addr . inet_proto . inet_service',
        `    flags dynamic,timeout; timeout ${timeout}`,
        '  }',
      );
      track.push(`oifname ${wan} ${L4} update @contacted { ip daddr . meta l4proto . th sport timeout ${timeout} }`);
      dnat.push(`iifname ${wan} ${L4} ip saddr . meta l4proto . th dport @contacted dnat ip to meta l4proto . th dport map @fullcone`);
    }
    if (hairpin) dnat.push(`iifname ${lan} ip daddr ${options.wanIp} ${L4} dnat ip to meta l4proto . th dport map @fullcone`);
    // Before source NAT, so `th sport` is the internal port (masquerade keeps it when free).
    lines.push(...chain('cone_track', 'type filter hook postrouting priority srcnat - 1; policy accept;', track));
  }
  if (options.sshTo) {
    const from = options.sshFrom.length > 0 ? ` ip saddr { ${options.sshFrom.join(', ')} }` : '';
    lines.push(...chain('ssh_dnat', 'type nat hook prerouting priority dstnat - 10; policy accept;', [`iifname ${wan}${from} tcp dport ${sshPort} dnat ip to ${options.sshTo}`]));
  }
  if (dnat.length > 0) lines.push(...chain('cone_dnat', 'type nat hook prerouting priority dstnat; policy accept;', dnat));

  // Only the node's traffic is translated, never the router's own (its sshd): after a conntrack
  // flush, `masquerade random` would otherwise rewrite port 22 of the controller's live SSH
  // connection and reset it.
  const out: string[] = [];
  // After a conntrack flush the forwarded SSH's next packet may come from the host: it keeps port 22.
  if (options.sshTo) {
    if (!options.wanIp) throw new NatOptionError('forwarding SSH to the host (sshTo) needs the router\'s public address (wanIp)');
    out.push(`iifname ${lan} oifname ${wan} ip saddr ${options.sshTo} tcp sport ${sshPort} snat ip to ${options.wanIp}:${sshPort}`);
  }
  if (nat === 'port-restricted-remapped') {
    lines.splice(1, 0, '  map remap {', '    type inet_service : inet_service', `    elements = { ${remapElements()} }`, '  }');
    out.push(`iifname ${lan} oifname ${wan} ${L4} th sport 1024-65535 snat ip to ${options.wanIp} : th sport map @remap`);
  }
  if (nat === 'symmetric-sequential') {
    out.push(`iifname ${lan} oifname ${wan} ${L4} snat ip to ${options.wanIp} : numgen inc mod ${SEQUENTIAL_SPAN} map { ${sequentialPorts()} }`);
  }
  out.push(`iifname ${lan} oifname ${wan} ${nat === 'symmetric' ? 'masquerade random' : 'masquerade'}`);
  // A hairpinned packet leaves with the router's public address as its source (RFC 4787 REQ-9:
  // the receiver sees the sender's external mapping), so its answer comes back through here.
  if (hairpin) out.push(`iifname ${lan} oifname ${lan} ct status dnat snat ip to ${options.wanIp}`);
  lines.push(...chain('nat_out', 'type nat hook postrouting priority srcnat; policy accept;', out));

  const forward = [`iifname ${wan} ct state established,related accept`];
  if (isCone(nat)) forward.push(`iifname ${wan} ct status dnat accept`);
  if (options.sshTo) forward.push(`iifname ${wan} ip daddr ${options.sshTo} tcp dport ${sshPort} ct status dnat accept`);
  forward.push(`iifname ${wan} drop`);
  lines.push(...chain('wan_forward', 'type filter hook forward priority filter; policy accept;', forward));

  const ssh =
    options.sshFrom.length === 0
      ? `iifname ${wan} tcp dport ${sshPort} accept`
      : `iifname ${wan} ip saddr { ${options.sshFrom.join(', ')} } tcp dport ${sshPort} accept`;
  lines.push(
    ...chain('wan_input', 'type filter hook input priority filter; policy accept;', [
      `iifname ${wan} ct state established,related accept`,
      ssh,
      `iifname ${wan} drop`,
    ]),
  );
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** nft commands that empty the recipe's own state (cone map, contacted set): conntrack -F does not. */
export function natStateFlush(nat: NatKind, table = NAT_TABLE): string {
  const lines: string[] = [];
  if (isEim(nat)) lines.push(`flush map ip ${table} fullcone`);
  if (nat === 'address-restricted') lines.push(`flush set ip ${table} contacted`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * Ruleset text that atomically replaces the table when loaded with `nft -f`: declaring then
 * deleting it first makes the delete succeed whether or not it existed.
 */
export function replaceTable(table: string, ruleset: string): string {
  return `table ip ${table}\ndelete table ip ${table}\n${ruleset}`;
}
