// The NAT oracle (docs/architecture.md, "The NAT oracle"): which path a pair of nodes should use, given their NAT
// types. Pure; used by the planner (expected path per planned pair) and by evaluation.
import type { NatType, PathKind } from '../config/model.js';

export const CATEGORIES = ['direct', 'nat_traversed', 'relay'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Address-and-port-dependent mapping: a new external port per destination (random or sequential). */
function dependentMapping(nat: NatType): boolean {
  return nat === 'symmetric' || nat === 'symmetric-sequential';
}

/** Address-and-port-dependent filtering (a remapped port-restricted NAT filters like one). */
function portFiltering(nat: NatType): boolean {
  return nat === 'port-restricted' || nat === 'port-restricted-remapped' || dependentMapping(nat);
}

/**
 * Pairs that cannot punch through: a dependent mapping on one side meets port filtering on the
 * other (RFC 4787). A sequential symmetric NAT counts as symmetric: its next port can be
 * predicted, but plain punching (what the oracle expects) does not try.
 */
function needsRelay(from: NatType, to: NatType): boolean {
  return (dependentMapping(from) && portFiltering(to)) || (portFiltering(from) && dependentMapping(to));
}

const FILTERING_RANK: Record<NatType, number> = {
  none: 0,
  'full-cone': 1,
  'address-restricted': 2,
  'port-restricted': 3,
  'port-restricted-remapped': 3,
  symmetric: 3,
  'symmetric-sequential': 3,
};

/**
 * What a node behind its own NAT `nat` behind a second one `behind` (a home router behind a
 * carrier-grade NAT) looks like from the internet, as one NAT type (docs/architecture.md,
 * "Double NAT"). The mapping is endpoint-independent only if both are (a dependent mapping on
 * either side gives a new outside port per destination); an inbound packet must pass both
 * filters, which see the same remote address and port, so the stricter filtering wins.
 */
export function natSeenFromOutside(nat: NatType, behind?: NatType): NatType {
  if (!behind || behind === 'none') return nat;
  if (nat === 'none') return behind;
  if (dependentMapping(nat) || dependentMapping(behind)) return 'symmetric';
  const remapped = nat === 'port-restricted-remapped' || behind === 'port-restricted-remapped';
  const filtering = Math.max(FILTERING_RANK[nat], FILTERING_RANK[behind]);
  if (filtering === 3) return remapped ? 'port-restricted-remapped' : 'port-restricted';
  return filtering === 2 ? 'address-restricted' : 'full-cone';
}

/** Expected path from `fromNat` to `toNat`: public target -> direct; else hole punch unless relay is needed. */
export function expectedPath(fromNat: NatType, toNat: NatType): PathKind {
  if (toNat === 'none') return 'direct';
  return needsRelay(fromNat, toNat) ? 'relay' : 'hole_punch';
}

/** The results category a path belongs to. */
export function categoryOf(path: PathKind): Category {
  switch (path) {
    case 'direct':
      return 'direct';
    case 'hole_punch':
      return 'nat_traversed';
    case 'relay':
      return 'relay';
  }
}

/** Per NAT-type pair category name, e.g. "full-cone->symmetric" (the same key criteria use). */
export function pairCategory(fromNat: NatType, toNat: NatType): string {
  return `${fromNat}->${toNat}`;
}

const PATH_RANK: Record<PathKind, number> = { direct: 0, hole_punch: 1, relay: 2 };

/** True when `observed` is at least as good as `expected` (direct > hole_punch > relay). */
export function pathAtLeast(observed: PathKind, expected: PathKind): boolean {
  return PATH_RANK[observed] <= PATH_RANK[expected];
}

/** Orders paths best first; for deterministic tie-breaks. */
export function pathRank(path: PathKind): number {
  return PATH_RANK[path];
}
