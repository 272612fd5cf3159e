import { describe, expect, it } from 'vitest';
import { NAT_TYPES, type NatType, type PathKind } from '../../../src/config/model.js';
import { categoryOf, expectedPath, pairCategory, pathAtLeast } from '../../../src/results/oracle.js';

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
