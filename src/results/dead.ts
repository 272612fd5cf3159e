// Dead classes (docs/architecture.md, "Dead classes"): a pooled rate can hide a NAT-type pair
// class, or a single node pair, that never succeeds on its expected path. Named, never averaged
// away. Pure.
import { PATHS, type PathKind } from '../config/model.js';
import { pairCategory, pathAtLeast } from './oracle.js';
import type { DeadResult, PairResult } from './schema.js';

function worsePaths(pairs: readonly PairResult[]): PathKind[] {
  return PATHS.filter((p) => pairs.some((x) => x.ok_paths[p] > 0 && x.expected_path !== null && !pathAtLeast(p, x.expected_path)));
}

export function deadClasses(pairs: readonly PairResult[]): DeadResult[] {
  const classes = new Map<string, PairResult[]>();
  for (const p of pairs) {
    if (!p.from_nat || !p.to_nat || p.attempts === 0) continue;
    const key = pairCategory(p.from_nat, p.to_nat);
    classes.set(key, [...(classes.get(key) ?? []), p]);
  }
  const dead: DeadResult[] = [];
  const deadClassNames = new Set<string>();
  for (const [name, members] of classes) {
    if (members.some((p) => p.successes > 0)) continue;
    deadClassNames.add(name);
    const expected = members[0]?.expected_path ?? null;
    dead.push({ kind: 'class', name, attempts: members.reduce((s, p) => s + p.attempts, 0), expected_path: members.every((p) => p.expected_path === expected) ? expected : null, worse_paths: worsePaths(members) });
  }
  for (const p of pairs) {
    if (p.attempts === 0 || p.successes > 0) continue;
    if (p.from_nat && p.to_nat && deadClassNames.has(pairCategory(p.from_nat, p.to_nat))) continue;
    dead.push({ kind: 'pair', name: `${p.suite} ${p.from}->${p.to}`, attempts: p.attempts, expected_path: p.expected_path, worse_paths: worsePaths([p]) });
  }
  return dead;
}

/** "full-cone->symmetric never succeeded in 20 attempts (relay worked where hole_punch was expected)" */
export function describeDead(d: DeadResult): string {
  const what = d.kind === 'class' ? `class ${d.name}` : `pair ${d.name}`;
  const worse = d.worse_paths.length ? ` (only ${d.worse_paths.join('/')} worked where ${d.expected_path ?? 'a better path'} was expected)` : '';
  return `${what} never succeeded in ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${worse}`;
}
