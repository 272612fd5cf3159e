import { describe, expect, it } from 'vitest';
import { NAT_TYPES } from '../../../src/config/model.js';
import { Aggregator } from '../../../src/results/aggregate.js';
import { evaluate } from '../../../src/results/evaluate.js';
import type { PairResult, ResultsJson } from '../../../src/results/schema.js';
import { cellGlyph, GLYPH } from '../../../src/report/glyphs.js';
import { GITHUB_BODY_LIMIT, renderMarkdown, REPORT_MARKER } from '../../../src/report/markdown.js';
import { aggregateOf, attempts, planOf } from '../results/helpers.js';

const AT = '2025-06-01T12:00:00.000Z';

function bigFleet(n: number): { results: ResultsJson; plan: ReturnType<typeof planOf> } {
  const nodes = Array.from({ length: n }, (_, i) => [`node-${i + 1}`, NAT_TYPES[i % NAT_TYPES.length]] as [string, (typeof NAT_TYPES)[number]]);
  const base = planOf(nodes, { direct: 99, nat_traversed: 85, relay: 100 });
  // As the planner does it: connectivity on expected paths, and a relay suite forcing every pair through the relay.
  const connectivity = base.suites[0] as (typeof base.suites)[number];
  const plan = { ...base, suites: [connectivity, { name: 'relay', trials: 2, pairs: connectivity.pairs.map((p) => ({ ...p, expectedPath: 'relay' as const })) }] };
  const agg = new Aggregator();
  for (const suite of plan.suites) {
    for (const p of suite.pairs) {
      for (let t = 0; t < 2; t++) agg.add({ v: 1, type: 'attempt', suite: suite.name, from: p.from, to: p.to, path: p.expectedPath, ok: (p.from.length * 7 + p.to.length + t) % 13 !== 0, rtt_ms: 3 });
    }
  }
  return { results: evaluate({ plan, aggregate: agg, generatedAt: AT }), plan };
}

describe('renderMarkdown', () => {
  it('starts with the hidden marker, then the verdict line', () => {
    const results = evaluate({ plan: planOf([['a', 'none'], ['b', 'none']], { direct: 90 }), aggregate: aggregateOf([...attempts('a', 'b', 'direct', 10, 10), ...attempts('b', 'a', 'direct', 10, 10)]), generatedAt: AT });
    const md = renderMarkdown({ results });
    expect(md.split('\n').slice(0, 2)).toEqual([REPORT_MARKER, '## ✅ PASS — all criteria met: 1 judged category (direct)']);
  });

  it('keeps a 100-node report under 65,536 characters by dropping whole sections, matrix first', () => {
    const { results, plan } = bigFleet(100);
    expect(results.pairs).toHaveLength(2 * 9900);
    const full = renderMarkdown({ results, plan, limit: Number.POSITIVE_INFINITY });
    expect(full.length).toBeGreaterThan(GITHUB_BODY_LIMIT); // the cut was needed
    expect(full).toContain('### Matrix — connectivity');
    const md = renderMarkdown({ results, plan });
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md.startsWith(`${REPORT_MARKER}\n## `)).toBe(true);
    expect(md).not.toContain('### Matrix');
    expect(md).toContain('### Categories'); // never dropped
    expect(md).toMatch(/> ⚠️ Report shortened to fit the 65,536-character limit; left out: matrix\. /);
    expect(md.endsWith('\n')).toBe(true);
  });

  it('cuts at a line boundary and says so when dropping sections is not enough', () => {
    const { results, plan } = bigFleet(10);
    const md = renderMarkdown({ results, plan, limit: 1500 });
    expect(md.length).toBeLessThanOrEqual(1500);
    expect(md).toMatch(/\n<\/details>\n\n> ⚠️ Report shortened to fit the 1,500-character limit; left out: matrix, plan, the end of the report\. .*\n$/);
    expect(md.startsWith(REPORT_MARKER)).toBe(true);
  });

  it('escapes node names and error text so they cannot inject markup or break tables', () => {
    const nasty = 'n|<img src=x onerror=alert(1)>';
    const results = evaluate({ aggregate: aggregateOf([...attempts(nasty, 'b', 'direct', 10, 9)]), generatedAt: AT, thresholds: { direct: 99 } });
    const md = renderMarkdown({ results });
    expect(md).not.toMatch(/(?<!\\)<img/);
    expect(md).toContain('n\\|\\<img src=x onerror=alert(1)>');
    for (const row of md.split('\n').filter((l) => l.startsWith('| **n'))) {
      expect(row.split(/(?<!\\)\|/).length).toBe(5); // '' + label + 2 cells + '': 4 unescaped pipes
    }
  });
});

describe('cellGlyph', () => {
  const pair = (observed: PairResult['observed_path'], expected: PairResult['expected_path'], extra: Partial<PairResult> = {}): PairResult => ({
    suite: 's', from: 'a', to: 'b', from_nat: null, to_nat: null, expected_path: expected, observed_path: observed, attempts: 1, successes: 1,
    attempt_paths: { direct: 0, hole_punch: 0, relay: 0 }, ok_paths: { direct: 0, hole_punch: 0, relay: 0 }, rtt_p50_ms: null, rtt_p95_ms: null, ...extra,
  });
  it('has one distinct glyph per outcome', () => {
    const glyphs = [
      cellGlyph(pair('direct', 'direct'), false),
      cellGlyph(pair('hole_punch', 'hole_punch'), false),
      cellGlyph(pair('relay', 'hole_punch'), false),
      cellGlyph(pair('relay', 'relay'), false),
      cellGlyph(pair('failed', 'relay'), false),
      cellGlyph(undefined, false),
      cellGlyph(undefined, true),
      cellGlyph(pair('failed', 'direct', { false_success: 'x' }), true),
    ];
    expect(glyphs).toEqual([GLYPH.direct, GLYPH.punched, GLYPH.relayed, GLYPH.expectedRelay, GLYPH.failed, GLYPH.untested, GLYPH.self, GLYPH.error]);
    expect(new Set(glyphs).size).toBe(glyphs.length);
  });
});
