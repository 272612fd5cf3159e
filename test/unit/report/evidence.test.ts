// The report shows each pair's path evidence as results.json has it, cell by cell and row by row.
import { describe, expect, it } from 'vitest';
import { EVIDENCE_MARK } from '../../../src/report/glyphs.js';
import { failingPairsSection, matrixSection } from '../../../src/report/sections.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { EVIDENCE, type Evidence } from '../../../src/results/evidence.js';
import type { PairResult, ResultsJson } from '../../../src/results/schema.js';
import { evidenceScenario } from './scenarios.js';

/** Matrix cells by "from\0to", read back from the rendered markdown table. */
function matrixCells(text: string): Map<string, string> {
  const rows = text.split('\n').filter((l) => l.startsWith('| '));
  const header = (rows[0] ?? '').split(' | ').slice(1).map((c) => c.replace(/ \|$/, '').replace(/\\/g, ''));
  const cells = new Map<string, string>();
  for (const row of rows.slice(2)) {
    const [from, ...rest] = row.replace(/^\| /, '').replace(/ \|$/, '').split(' | ');
    rest.forEach((c, i) => cells.set(`${(from ?? '').replace(/\*\*/g, '').replace(/\\/g, '')}\u0000${header[i]}`, c));
  }
  return cells;
}

const marksOf = (cell: string): Evidence[] => EVIDENCE.filter((k) => cell.includes(EVIDENCE_MARK[k]));
const kindsOf = (p: PairResult): Evidence[] => EVIDENCE.filter((k) => (p.evidence?.[k] ?? 0) > 0);

/** Every pair's marks are exactly the evidence kinds its attempts had (none when it has none). */
function expectMatrixMatches(rendered: string, r: ResultsJson): void {
  const cells = matrixCells(rendered);
  for (const p of r.pairs) expect(marksOf(cells.get(`${p.from}\u0000${p.to}`) ?? '?'), `${p.from}->${p.to}`).toEqual(kindsOf(p));
}

describe('path evidence in the report', async () => {
  const { results } = await evidenceScenario();

  it('the fixture has every kind of evidence, a pair without it and false claims', () => {
    const seen = new Set(results.pairs.flatMap(kindsOf));
    expect([...seen].sort()).toEqual([...EVIDENCE].sort());
    expect(results.pairs.some((p) => p.evidence === undefined)).toBe(true);
    expect(results.pairs.find((p) => p.from === 'cone' && p.to === 'sym')?.false_claims).toBe(2);
  });

  it('each matrix cell carries the marks of what the network saw for that pair', () => expectMatrixMatches(matrixSection(results), results));

  it('a pair whose evidence differs from its cell is caught (the check can fail)', () => {
    const tampered = results.pairs.map((p) => (p.from === 'public' && p.to === 'bootstrap' ? { ...p, evidence: { direct: 0, relayed: 0, none: 3, unmeasured: 0 } } : p));
    expect(() => expectMatrixMatches(matrixSection(results), { ...results, pairs: tampered })).toThrow(/public->bootstrap/);
  });

  it('a false claim shows as ❗ with its count and reason; failing rows give counts by evidence', () => {
    const cells = matrixCells(matrixSection(results));
    expect(cells.get('cone\u0000sym')).toBe('❗ʳⁿ');
    const table = failingPairsSection(results);
    const row = table.split('\n').find((l) => l.includes('cone→sym')) ?? '';
    expect(row).toContain('relayed 2 · none 1');
    expect(row).toContain('2× false claim: claimed hole\\_punch without direct packets both ways');
    for (const p of results.pairs.filter((x) => x.successes < x.attempts || x.false_claims)) {
      const line = table.split('\n').find((l) => l.includes(`${p.from}→${p.to}`)) ?? '';
      for (const k of kindsOf(p)) expect(line, `${p.from}->${p.to}`).toContain(`${k} ${p.evidence?.[k]}`);
    }
  });

  it('the legend names what the network saw, and only the marks used', () => {
    const text = renderMarkdown({ results });
    expect(text).toContain('What the network saw, per attempt: ᵈ direct packets both ways · ʳ packets only via the relay · ⁿ no packets between the ends · ᵘ not measured · no mark: no path evidence.');
    const onlyDirect = { ...results, pairs: results.pairs.filter((p) => p.from === 'public' && p.to === 'bootstrap') };
    expect(matrixSection(onlyDirect)).toContain('What the network saw, per attempt: ᵈ direct packets both ways.');
    const noEvidence = { ...results, pairs: results.pairs.map(({ evidence: _e, ...p }) => p) };
    expect(renderMarkdown({ results: noEvidence })).not.toContain('What the network saw');
  });

  it('stays within the size bound with thousands of pairs carrying evidence', () => {
    const template = results.pairs[0] as PairResult;
    const pairs = Array.from({ length: 2500 }, (_, i) => ({ ...template, from: `n${i % 50}`, to: `m${Math.floor(i / 50)}`, successes: 0 }));
    expect(renderMarkdown({ results: { ...results, pairs } }).length).toBeLessThanOrEqual(65_536);
  });
});
