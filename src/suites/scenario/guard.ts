// The self-command guard (docs/architecture.md "Scenarios"): a step meant to reach another
// machine must not carry the caller's own identity, and the other machine must have seen
// traffic from the caller while it ran. Pure: renderers and judgements; the engine runs them.
import { findPlaceholders } from '../../config/placeholders.js';

/** A value a capture step took from a node's output (e.g. the id an agent printed). */
export interface Identity {
  variable: string;
  node: string;
  value: string;
  step: number;
}

/** Values shorter than this are too common to be taken for an identity inside a command. */
const MIN_IDENTITY_CHARS = 6;

export function selfCommandReason(caller: string, peer: string, rawCommand: string, expanded: string, identities: readonly Identity[]): string | undefined {
  const own = identities.filter((i) => i.node === caller);
  for (const ref of findPlaceholders(rawCommand)) {
    if (ref.kind !== 'var' || !ref.arg) continue;
    const used = identities.find((i) => i.variable === ref.arg);
    if (!used) continue;
    if (used.node === caller) {
      return `self-command: {var:${used.variable}} is ${caller}'s own identity (captured on ${caller} in step ${used.step}); the command meant for ${peer} would only reach ${caller} itself`;
    }
    const twin = own.find((i) => i.value === used.value);
    if (twin) {
      return `self-command: {var:${used.variable}} (${used.value}) equals ${caller}'s own identity {var:${twin.variable}} (step ${twin.step}); the command meant for ${peer} would only reach ${caller} itself`;
    }
  }
  const peerValues = identities.filter((i) => i.node === peer).map((i) => i.value);
  const literal = own.find((i) => i.value.length >= MIN_IDENTITY_CHARS && expanded.includes(i.value) && !peerValues.some((v) => v.includes(i.value)));
  if (literal) {
    return `self-command: the command names ${caller}'s own identity ${literal.value} (captured as {var:${literal.variable}} in step ${literal.step}); the command meant for ${peer} would only reach ${caller} itself`;
  }
  return undefined;
}

export const SEEN_TABLE = 'vtseen';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * A packet counter on the peer's machine for what arrives from the caller's addresses
 * (prerouting: also what a NAT router forwards to its node). Replaces any earlier one.
 */
export function renderSeenScript(from: readonly string[], table = SEEN_TABLE): string {
  const addresses = [...new Set(from)];
  for (const a of addresses) if (!IPV4.test(a)) throw new Error(`path evidence: "${a}" is not an IPv4 address`);
  if (!addresses.length) throw new Error('path evidence: no caller address to count');
  const ruleset = [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '  counter seen {}',
    '  chain seen_pre {',
    '    type filter hook prerouting priority raw - 20; policy accept;',
    `    ip saddr { ${addresses.join(', ')} } counter name "seen"`,
    '  }',
    '}',
    '',
  ].join('\n');
  return `nft -f - <<'VT_SEEN'\n${ruleset}VT_SEEN`;
}

/** Reads the counter and removes the table; prints `nft list counter` output. */
export function renderSeenReadScript(table = SEEN_TABLE): string {
  return `nft list counter inet ${table} seen && nft delete table inet ${table}`;
}

export function parseSeenPackets(listing: string): number | undefined {
  const m = /packets (\d+) bytes \d+/.exec(listing);
  return m ? Number(m[1]) : undefined;
}
