// The structure checked by the suite (docs/architecture.md, "Folders"): no import cycle in src/,
// and nothing low (lab, ssh, deploy) imports providers/. Type-only imports count: they are the
// arrows a reader follows. Known violations are listed explicitly, to be emptied, never grown.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(root)) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(IMPORT)].map((m) => relative(root, resolve(dirname(file), (m[1] ?? m[2]) as string)).replace(/\.js$/, '.ts'));
    graph.set(relative(root, file), [...new Set(deps)]);
  }
  return graph;
}

/** Every elementary cycle found by a depth-first search, each reported once from its smallest node. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 'open') {
        const cycle = stack.slice(stack.indexOf(d));
        const start = cycle.indexOf([...cycle].sort()[0] as string);
        const norm = [...cycle.slice(start), ...cycle.slice(0, start)];
        found.set(norm.join(' -> '), norm);
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return [...found.values()];
}

describe('import graph of src/', () => {
  const graph = importGraph(SRC);

  it('finds imports (the check is not vacuous)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('run/pipeline.ts')).toContain('run/state.ts');
    expect(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => [...c, c[0]].join(' -> '))).toEqual([]);
  });

  it('lab/, ssh/ and deploy/ import nothing higher (providers, run, suites, results, plan)', () => {
    const low = /^(lab|ssh|deploy|fleet)\//;
    const high = /^(providers|run|suites|subject|results|report|plan|cli|actions)\//;
    const violations = [...graph].flatMap(([file, deps]) => (low.test(file) ? deps.filter((d) => high.test(d)).map((d) => `${file} -> ${d}`) : []));
    expect(violations).toEqual([]);
  });

  it('results/ does not import plan/ (it takes the plan as its own Expectations view)', () => {
    const violations = [...graph].flatMap(([file, deps]) => (file.startsWith('results/') ? deps.filter((d) => d.startsWith('plan/')).map((d) => `${file} -> ${d}`) : []));
    expect(violations).toEqual([]);
  });
});
