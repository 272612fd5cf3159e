// One glyph per matrix cell (DESIGN.md section 10). Pure.
import type { PairResult } from '../results/schema.js';

export const GLYPH = {
  direct: '✅',
  punched: '🔀',
  relayed: '🟠',
  expectedRelay: '🔁',
  failed: '❌',
  untested: '⬜',
  self: '➖',
  error: '❗',
} as const;

const LEGEND_ORDER: readonly [string, string][] = [
  [GLYPH.direct, 'direct'],
  [GLYPH.punched, 'hole punched'],
  [GLYPH.expectedRelay, 'relayed, as expected for this NAT pair'],
  [GLYPH.relayed, 'relayed, although a better path was expected'],
  [GLYPH.failed, 'failed (no attempt worked)'],
  [GLYPH.untested, 'not tested'],
  [GLYPH.error, 'false success (same node or identity at both ends)'],
];

/**
 * Legend for the glyphs actually used. Without an expected path (no plan) a relayed pair shows
 * the plain relay glyph, so its wording depends on whether such cells occur.
 */
export function legend(used: ReadonlySet<string>, relayWithoutExpectation: boolean, relayAsExpected: boolean): string {
  const relayText = relayWithoutExpectation ? (relayAsExpected ? 'relayed (as expected for the NAT pair, where known)' : 'relayed') : 'relayed, as expected for this NAT pair';
  return LEGEND_ORDER.filter(([g]) => used.has(g))
    .map(([g, text]) => `${g} ${g === GLYPH.expectedRelay ? relayText : text}`)
    .join(' · ');
}

/** Glyph for one cell: the path that worked most often for the pair. */
export function cellGlyph(pair: PairResult | undefined, sameNode: boolean): string {
  if (pair?.false_success) return GLYPH.error;
  if (sameNode) return GLYPH.self;
  if (!pair) return GLYPH.untested;
  switch (pair.observed_path) {
    case 'none':
      return GLYPH.untested;
    case 'failed':
      return GLYPH.failed;
    case 'direct':
      return GLYPH.direct;
    case 'hole_punch':
      return GLYPH.punched;
    case 'relay':
      // No expectation known: nothing says a better path should have worked.
      return pair.expected_path === 'relay' || pair.expected_path === null ? GLYPH.expectedRelay : GLYPH.relayed;
  }
}
