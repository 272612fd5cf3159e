// Path evidence (docs/architecture.md, "Path evidence"): what the network saw between two nodes
// in one round, from packet counters on each machine's public side. Pure.

/** Packets a node's machine delivered from / sent to each remote public address in one round. */
export interface NodeCounters {
  in: ReadonlyMap<string, number>;
  out: ReadonlyMap<string, number>;
}

/** Counters of one round, by node name. A node missing here was not measured. */
export type RoundCounters = ReadonlyMap<string, NodeCounters>;

export const EVIDENCE = ['direct', 'relayed', 'none', 'unmeasured'] as const;
export type Evidence = (typeof EVIDENCE)[number];

export interface EvidenceNode {
  name: string;
  /** the address other machines see this node's packets come from */
  publicIp: string;
}

export interface PairEvidence {
  /** packets were delivered both ways between the two ends */
  direct: boolean;
  /** both ends exchanged packets (both ways) with the same relay, or one end is that relay */
  relayed: boolean;
  evidence: Evidence;
}

const got = (m: ReadonlyMap<string, number>, ip: string): boolean => (m.get(ip) ?? 0) > 0;

function exchanged(c: NodeCounters, ip: string): boolean {
  return got(c.in, ip) && got(c.out, ip);
}

/** Evidence for the pair a-b; `relays` are the nodes that relay (bootstrap / relay roles). */
export function pairEvidence(counters: RoundCounters | undefined, a: EvidenceNode, b: EvidenceNode, relays: readonly EvidenceNode[]): PairEvidence {
  const ca = counters?.get(a.name);
  const cb = counters?.get(b.name);
  if (!ca || !cb) return { direct: false, relayed: false, evidence: 'unmeasured' };
  const direct = got(ca.in, b.publicIp) && got(cb.in, a.publicIp);
  const relayed = relays.some((r) => {
    if (r.name === a.name) return exchanged(cb, r.publicIp);
    if (r.name === b.name) return exchanged(ca, r.publicIp);
    return exchanged(ca, r.publicIp) && exchanged(cb, r.publicIp);
  });
  return { direct, relayed, evidence: direct ? 'direct' : relayed ? 'relayed' : 'none' };
}
