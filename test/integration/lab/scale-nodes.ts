// The nodes of a big lab: one bootstrap, the rest round-robin over the five NAT kinds.
import type { NatType } from '../../../src/config/model.js';
import type { LabNodeSpec } from '../../../src/lab/topology.js';

const KINDS: NatType[] = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'];
const SHORT: Record<NatType, string> = { none: 'pub', 'full-cone': 'fc', 'address-restricted': 'ar', 'port-restricted': 'pr', symmetric: 'sym' };

export function scaleNodes(count: number): LabNodeSpec[] {
  return [
    { name: 'boot', nat: 'none', role: 'bootstrap' },
    ...Array.from({ length: count - 1 }, (_, i): LabNodeSpec => {
      const nat = KINDS[i % KINDS.length] as NatType;
      return { name: `${SHORT[nat]}${i + 1}`, nat, role: 'peer' };
    }),
  ];
}
