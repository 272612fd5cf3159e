import { describe, expect, it } from 'vitest';
import { NAT_TYPES, type NatType, type PathKind } from '../../../src/config/model.js';
import { categoryOf, expectedPath, natSeenFromOutside, pairCategory, pathAtLeast } from '../../../src/results/oracle.js';

// docs/architecture.md ("The NAT oracle"), written out by hand as the independent truth: rows = from, columns = to.
// Order: none, full-cone, address-restricted, port-restricted, symmetric, symmetric-sequential,
// port-restricted-remapped. A symmetric NAT whose ports count up fails plain punching exactly
// as symmetric does; a port-restricted NAT that does not preserve ports behaves as port-restricted.
const D = 'direct', H = 'hole_punch', R = 'relay';
const TABLE: Record<NatType, PathKind[]> = {
  none: [D, H, H, H, H, H, H],
  'full-cone': [D, H, H, H, H, H, H],
  'address-restricted': [D, H, H, H, H, H, H],
  'port-restricted': [D, H, H, H, R, R, H],
  symmetric: [D, H, H, R, R, R, R],
  'symmetric-sequential': [D, H, H, R, R, R, R],
  'port-restricted-remapped': [D, H, H, H, R, R, H],
};

describe('expectedPath', () => {
  for (const from of NAT_TYPES) {
    NAT_TYPES.forEach((to, i) => {
      it(`${from} -> ${to} is ${TABLE[from][i]}`, () => expect(expectedPath(from, to)).toBe(TABLE[from][i]));
    });
  }
  it('relay is needed for exactly the pairs where a dependent mapping meets port filtering', () => {
    const relays = NAT_TYPES.flatMap((f) => NAT_TYPES.filter((t) => expectedPath(f, t) === 'relay').map((t) => `${f}->${t}`));
    expect(relays.sort()).toEqual([
      'port-restricted->symmetric', 'port-restricted->symmetric-sequential',
      'port-restricted-remapped->symmetric', 'port-restricted-remapped->symmetric-sequential',
      'symmetric->port-restricted', 'symmetric->symmetric', 'symmetric->symmetric-sequential', 'symmetric->port-restricted-remapped',
      'symmetric-sequential->port-restricted', 'symmetric-sequential->symmetric', 'symmetric-sequential->symmetric-sequential',
      'symmetric-sequential->port-restricted-remapped',
    ].sort());
  });
});

describe('categories', () => {
  it('maps paths to categories', () => {
    expect(categoryOf('direct')).toBe('direct');
    expect(categoryOf('hole_punch')).toBe('nat_traversed');
    expect(categoryOf('relay')).toBe('relay');
  });
  it('names NAT-type pairs like the config criteria keys', () => {
    expect(pairCategory('full-cone', 'symmetric')).toBe('full-cone->symmetric');
    expect(pairCategory('none', 'port-restricted')).toBe('none->port-restricted');
  });
  it('orders paths direct > hole_punch > relay', () => {
    expect(pathAtLeast('direct', 'relay')).toBe(true);
    expect(pathAtLeast('hole_punch', 'hole_punch')).toBe(true);
    expect(pathAtLeast('relay', 'hole_punch')).toBe(false);
    expect(pathAtLeast('hole_punch', 'direct')).toBe(false);
  });
});

// A node behind two NATs, by hand (RFC 4787): the mapping is endpoint-independent only if both
// are; the stricter filter wins. Rows = the node's own NAT, columns = the carrier NAT behind it,
// same order as TABLE without none.
const FC = 'full-cone', AR = 'address-restricted', PR = 'port-restricted', SY = 'symmetric', PRR = 'port-restricted-remapped';
const BEHIND: Record<Exclude<NatType, 'none'>, NatType[]> = {
  'full-cone': [FC, AR, PR, SY, SY, PRR],
  'address-restricted': [AR, AR, PR, SY, SY, PRR],
  'port-restricted': [PR, PR, PR, SY, SY, PRR],
  symmetric: [SY, SY, SY, SY, SY, SY],
  'symmetric-sequential': [SY, SY, SY, SY, SY, SY],
  'port-restricted-remapped': [PRR, PRR, PRR, SY, SY, PRR],
};

describe('natSeenFromOutside (double NAT)', () => {
  const kinds = NAT_TYPES.filter((t) => t !== 'none');
  for (const nat of kinds) {
    kinds.forEach((behind, i) => {
      it(`${nat} behind ${behind} looks like ${BEHIND[nat][i]}`, () => expect(natSeenFromOutside(nat, behind)).toBe(BEHIND[nat][i]));
    });
  }
  it('one NAT is itself; the paths of a double-NAT node follow from what it looks like', () => {
    for (const nat of NAT_TYPES) expect(natSeenFromOutside(nat)).toBe(nat);
    // a port-restricted home router behind a symmetric carrier: relay with a port-restricted peer (alone it would punch)
    expect(expectedPath(natSeenFromOutside('port-restricted', 'symmetric-sequential'), 'port-restricted')).toBe('relay');
    expect(expectedPath('port-restricted', 'port-restricted')).toBe('hole_punch');
    expect(expectedPath('full-cone', natSeenFromOutside('full-cone', 'port-restricted'))).toBe('hole_punch');
  });
});
