// Path evidence counters (docs/architecture.md, "Path evidence"): on a machine's public side,
// packets delivered from / sent to each remote address, counted in dynamic nft sets. On a NAT
// router the count is taken in the forward hook after the NAT's own filter, so a punch packet
// the NAT dropped never counts as delivered. Pure: options in, ruleset / commands out.
import { inNamespace, type Step } from './steps.js';

export const EVIDENCE_TABLE = 'vt_evidence';
export const EVIDENCE_SETS = { in: 'peer_in', out: 'peer_out' } as const;

export interface EvidenceOptions {
  /** Interface facing the internet: `wan` on a router, the uplink on a public machine. */
  publicIface: string;
  /** true: the machine forwards for a node behind it (router); false: the node lives here. */
  routed: boolean;
  /** Remote addresses kept per set (one element per remote machine). */
  size?: number;
}

export function renderEvidenceRuleset(o: EvidenceOptions): string {
  const iface = JSON.stringify(o.publicIface);
  const size = o.size ?? 65_535;
  const set = (name: string) => [`  set ${name} {`, '    type ipv4_addr', `    size ${size}`, '    flags dynamic', '    counter', '  }'];
  // After the NAT's filter chains (priority filter), so only what they accepted is counted.
  const [inHook, outHook] = o.routed ? ['forward', 'forward'] : ['input', 'output'];
  const lines = [
    `table ip ${EVIDENCE_TABLE} {`,
    ...set(EVIDENCE_SETS.in),
    ...set(EVIDENCE_SETS.out),
    '  chain ev_in {',
    `    type filter hook ${inHook} priority filter + 10; policy accept;`,
    `    iifname ${iface} update @${EVIDENCE_SETS.in} { ip saddr }`,
    '  }',
    '  chain ev_out {',
    `    type filter hook ${outHook} priority filter + 10; policy accept;`,
    `    oifname ${iface} update @${EVIDENCE_SETS.out} { ip daddr }`,
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** The step that installs the counters in a machine's public-side namespace. */
export function evidenceStep(ns: string | undefined, o: EvidenceOptions): Step {
  return inNamespace(ns, ['nft', '-f', '-'], `table ip ${EVIDENCE_TABLE}\ndelete table ip ${EVIDENCE_TABLE}\n${renderEvidenceRuleset(o)}`);
}

/** One shell line that prints the counters (JSON) and empties them for the next round. */
export function readAndResetCommand(): string {
  return `nft -j list table ip ${EVIDENCE_TABLE} && nft flush set ip ${EVIDENCE_TABLE} ${EVIDENCE_SETS.in} && nft flush set ip ${EVIDENCE_TABLE} ${EVIDENCE_SETS.out}`;
}

export interface ParsedCounters {
  in: Map<string, number>;
  out: Map<string, number>;
}

/** `nft -j list table` output -> packets per remote address, per direction. */
export function parseEvidenceCounters(json: string): ParsedCounters {
  const out: ParsedCounters = { in: new Map(), out: new Map() };
  const doc = JSON.parse(json) as { nftables?: { set?: { name?: string; elem?: unknown[] } }[] };
  for (const item of doc.nftables ?? []) {
    const set = item.set;
    if (!set || (set.name !== EVIDENCE_SETS.in && set.name !== EVIDENCE_SETS.out)) continue;
    const target = set.name === EVIDENCE_SETS.in ? out.in : out.out;
    for (const e of set.elem ?? []) {
      const elem = (e as { elem?: { val?: unknown; counter?: { packets?: number } } }).elem;
      if (elem && typeof elem.val === 'string' && typeof elem.counter?.packets === 'number') target.set(elem.val, elem.counter.packets);
    }
  }
  return out;
}
