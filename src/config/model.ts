// Domain vocabulary shared by every stage. The zod schema in ./schema.ts produces these
// shapes; keeping them as plain types lets pure modules depend on them without zod.

export const NAT_TYPES = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric', 'symmetric-sequential', 'port-restricted-remapped'] as const;
export type NatType = (typeof NAT_TYPES)[number];

export const ROLES = ['bootstrap', 'peer', 'relay'] as const;
export type Role = (typeof ROLES)[number];

export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

export const PATHS = ['direct', 'hole_punch', 'relay'] as const;
export type PathKind = (typeof PATHS)[number];

/** Network impairment on a node's link. Durations in ms, loss in percent, rate in kbit/s. */
export interface Impairment {
  delayMs?: number;
  jitterMs?: number;
  lossPercent?: number;
  rateKbit?: number;
}

/**
 * The lab's internet: routers crossed between two machines, round trip (ms), per region pair.
 * Jitter: each round trip varies within rtt +- jitter (uniform, per packet, never reordering).
 */
export interface Internet {
  hops: number;
  rttMs: number;
  jitterMs?: number;
  regions: { between: [string, string]; rttMs: number; jitterMs?: number }[];
}

export const PAIR_SUITES = ['connectivity', 'nat-traversal', 'relay'] as const;
export type PairSuite = (typeof PAIR_SUITES)[number];
export const SUITES = [...PAIR_SUITES, 'throughput', 'gossip'] as const;
export type SuiteName = (typeof SUITES)[number];
