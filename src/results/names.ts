// Deterministic ordering of node and category names, so reports are stable across runs.
import { NAT_TYPES } from '../config/model.js';
import { CATEGORIES } from './oracle.js';

/** "node-2" before "node-10": digit runs compare as numbers, the rest by code unit (locale-free). */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i] as string;
    const y = tb[i] as string;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

/** Main categories first (direct, nat_traversed, relay), then NAT pairs in NAT_TYPES order, then the rest. */
export function compareCategories(a: string, b: string): number {
  const rank = (name: string): number[] => {
    const main = (CATEGORIES as readonly string[]).indexOf(name);
    if (main !== -1) return [0, main, 0];
    const m = /^(.+)->(.+)$/.exec(name);
    const from = m ? (NAT_TYPES as readonly string[]).indexOf(m[1] as string) : -1;
    const to = m ? (NAT_TYPES as readonly string[]).indexOf(m[2] as string) : -1;
    if (from !== -1 && to !== -1) return [1, from, to];
    return [2, 0, 0];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return a < b ? -1 : a > b ? 1 : 0;
}
