// One glyph per matrix cell (docs/architecture.md, "Reports"). Pure.
import { EVIDENCE, type Evidence } from '../results/evidence.js';
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
  [GLYPH.error, 'false success (same node or identity at both ends, or a path the network did not see)'],
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
  if (pair?.false_success || (pair?.false_claims ?? 0) > 0) return GLYPH.error;
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

/** What the network saw (docs/architecture.md, "Path evidence"): one superscript mark per kind. */
export const EVIDENCE_MARK: Record<Evidence, string> = { direct: 'ᵈ', relayed: 'ʳ', none: 'ⁿ', unmeasured: 'ᵘ' };

const EVIDENCE_TEXT: Record<Evidence, string> = {
  direct: 'direct packets both ways',
  relayed: 'packets only via the relay',
  none: 'no packets between the ends',
  unmeasured: 'not measured',
};

/** The marks of every evidence kind the pair's attempts had, in a fixed order; '' without evidence. */
export function evidenceMarks(pair: PairResult | undefined): string {
  const ev = pair?.evidence;
  return ev ? EVIDENCE.filter((k) => ev[k] > 0).map((k) => EVIDENCE_MARK[k]).join('') : '';
}

/** "direct 10 · none 2": attempts by evidence, for the pair tables; '—' without evidence. */
export function evidenceCounts(pair: PairResult): string {
  const ev = pair.evidence;
  const parts = ev ? EVIDENCE.filter((k) => ev[k] > 0).map((k) => `${k} ${ev[k]}`) : [];
  return parts.length ? parts.join(' · ') : '—';
}

/** One line for the marks actually used; '' when no pair carries evidence. */
export function evidenceLegend(used: ReadonlySet<Evidence>, unmarked: boolean): string {
  if (!used.size) return '';
  const kinds = EVIDENCE.filter((k) => used.has(k)).map((k) => `${EVIDENCE_MARK[k]} ${EVIDENCE_TEXT[k]}`);
  return `What the network saw, per attempt: ${kinds.join(' · ')}${unmarked ? ' · no mark: no path evidence' : ''}.`;
}
