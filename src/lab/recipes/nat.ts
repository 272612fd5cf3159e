// nftables rulesets for the four NAT behaviours, for the router's namespace (or a cloud
// machine acting as its own node's router). Verified with coturn's turnutils_natdiscovery
// (DESIGN section 5). Pure: options in, ruleset text out.
import type { NatType } from '../../config/model.js';

export type NatKind = Exclude<NatType, 'none'>;
export const NAT_KINDS: readonly NatKind[] = ['full-cone', 'address-restricted', 'port-restricted', 'symmetric'];

export interface NatRulesetOptions {
  /** Interface facing the internet. */
  wan?: string;
  /** Interface facing the node behind the NAT. */
  lan?: string;
  /** Addresses (or CIDRs) allowed to reach the router's sshd; empty = anyone (cloud runners move). */
  sshFrom: string[];
  sshPort?: number;
  table?: string;
  /** Lifetime of a cone mapping without outbound traffic, seconds. */
  mappingTimeoutS?: number;
}

export const NAT_TABLE = 'vtnat';

const DEFAULT_MAPPING_TIMEOUT_S = 300;

function isCone(nat: NatKind): boolean {
  return nat === 'full-cone' || nat === 'address-restricted';
}

function chain(name: string, header: string, rules: string[]): string[] {
  return [`  chain ${name} {`, `    ${header}`, ...rules.map((r) => `    ${r}`), '  }'];
}

/**
 * The router's ruleset. Chain names avoid nft keywords (`fwd`, `in` are keywords).
 * - every type: masquerade what the node sends out on wan; forward and input drop what arrives on wan unless it belongs
 *   to a known flow. The input drop matters: an early punch packet that reached the router
 *   itself would leave a conntrack entry that later forces a new source port.
 * - cones: a dynamic map external port -> internal ip . port, filled on every outbound UDP
 *   packet just before source NAT, and a DNAT from it for inbound (full cone: from anyone;
 *   address-restricted: only from addresses in `contacted`, filled on outbound).
 * - symmetric: `masquerade random`, a fresh port per destination.
 */
export function renderNatRuleset(nat: NatKind, options: NatRulesetOptions): string {
  if (!NAT_KINDS.includes(nat)) throw new Error(`unknown NAT type "${String(nat)}" (expected ${NAT_KINDS.join(', ')})`);
  const wan = JSON.stringify(options.wan ?? 'wan');
  const lan = JSON.stringify(options.lan ?? 'lan');
  const table = options.table ?? NAT_TABLE;
  const timeout = `${options.mappingTimeoutS ?? DEFAULT_MAPPING_TIMEOUT_S}s`;
  const sshPort = options.sshPort ?? 22;
  const lines: string[] = [`table ip ${table} {`];

  if (isCone(nat)) {
    lines.push(
      '  map fullcone {',
      '    type inet_service : ipv4_addr . inet_service',
      `    flags dynamic,timeout; timeout ${timeout}`,
      '  }',
    );
    const track = [`oifname ${wan} meta l4proto udp update @fullcone { udp sport timeout ${timeout} : ip saddr . udp sport }`];
    let dnat = `iifname ${wan} meta l4proto udp dnat ip to udp dport map @fullcone`;
    if (nat === 'address-restricted') {
      lines.push(
        '  set contacted {',
        '    type ipv4_addr . inet_service',
        `    flags dynamic,timeout; timeout ${timeout}`,
        '  }',
      );
      track.push(`oifname ${wan} meta l4proto udp update @contacted { ip daddr . udp sport timeout ${timeout} }`);
      dnat = `iifname ${wan} meta l4proto udp ip saddr . udp dport @contacted dnat ip to udp dport map @fullcone`;
    }
    // Before source NAT, so `udp sport` is the internal port (masquerade keeps it when free).
    lines.push(...chain('cone_track', 'type filter hook postrouting priority srcnat - 1; policy accept;', track));
    lines.push(...chain('cone_dnat', 'type nat hook prerouting priority dstnat; policy accept;', [dnat]));
  }

  // Only the node's traffic is translated, never the router's own (its sshd): after a conntrack
  // flush, `masquerade random` would otherwise rewrite port 22 of the controller's live SSH
  // connection and reset it.
  lines.push(
    ...chain('nat_out', 'type nat hook postrouting priority srcnat; policy accept;', [
      `iifname ${lan} oifname ${wan} ${nat === 'symmetric' ? 'masquerade random' : 'masquerade'}`,
    ]),
  );

  const forward = [`iifname ${wan} ct state established,related accept`];
  if (isCone(nat)) forward.push(`iifname ${wan} ct status dnat accept`);
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

/**
 * Ruleset text that atomically replaces the table when loaded with `nft -f`: declaring then
 * deleting it first makes the delete succeed whether or not it existed.
 */
export function replaceTable(table: string, ruleset: string): string {
  return `table ip ${table}\ndelete table ip ${table}\n${ruleset}`;
}
