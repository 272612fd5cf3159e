// The markdown report: PR sticky comment and job summary (docs/architecture.md, "Reports"). Pure.
// Bounded to GitHub's comment body limit by dropping whole sections, least essential first.
import type { Plan } from '../plan/types.js';
import type { ResultsJson } from '../results/schema.js';
import * as s from './sections.js';
import { scenarioSection } from './scenario.js';
import { prometheusSection } from './metrics.js';

export const REPORT_MARKER = '<!-- vps-test:report -->';
/** GitHub's limit on an issue comment body / step summary chunk, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface MarkdownInput {
  results: ResultsJson;
  plan?: Plan;
  artifacts?: readonly s.ArtifactLink[];
  /** default GITHUB_BODY_LIMIT */
  limit?: number;
}

interface Section {
  name: string;
  text: string;
  /** lower drops first; undefined never drops */
  dropRank?: number;
}

export function renderMarkdown(input: MarkdownInput): string {
  const { results: r, plan } = input;
  const limit = input.limit ?? GITHUB_BODY_LIMIT;
  const sections: Section[] = [
    { name: 'verdict', text: `${REPORT_MARKER}\n${s.verdictSection(r)}` },
    { name: 'plan', text: s.planSection(r, plan), dropRank: 6 },
    { name: 'categories', text: s.categoriesSection(r) },
    { name: 'matrix', text: s.matrixSection(r), dropRank: 1 },
    { name: 'failing pairs', text: s.failingPairsSection(r), dropRank: 2 },
    { name: 'throughput', text: s.throughputSection(r), dropRank: 4 },
    { name: 'gossip', text: s.gossipSection(r), dropRank: 3 },
    { name: 'scenarios', text: scenarioSection(r), dropRank: 4 },
    { name: 'metrics', text: prometheusSection(r), dropRank: 4 },
    { name: 'soak trend', text: s.soakSection(r), dropRank: 5 },
    { name: 'artifacts', text: s.artifactsSection(input.artifacts ?? []) },
    { name: 'malformed lines', text: s.malformedSection(r), dropRank: 7 },
  ].filter((x) => x.text !== '');
  return fit(sections, limit);
}

const join = (sections: readonly Section[]): string => `${sections.map((x) => x.text).join('\n\n')}\n`;

function truncationNote(dropped: readonly string[], limit: number): string {
  return `> ⚠️ Report shortened to fit the ${String(limit).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}-character limit; left out: ${dropped.join(', ')}. Everything is in results.json and the report artifact.`;
}

function fit(sections: Section[], limit: number): string {
  let kept = sections;
  const dropped: string[] = [];
  const withNote = (): string => (dropped.length ? join([...kept, { name: 'note', text: truncationNote(dropped, limit) }]) : join(kept));
  const droppable = sections.filter((x) => x.dropRank !== undefined).sort((a, b) => (a.dropRank as number) - (b.dropRank as number));
  let text = withNote();
  for (const victim of droppable) {
    if (text.length <= limit) break;
    kept = kept.filter((x) => x !== victim);
    dropped.push(victim.name);
    text = withNote();
  }
  if (text.length <= limit) return text;
  // Still too long (e.g. thousands of reasons): cut at a line boundary, close a <details> block
  // the cut may have opened (else the note would be folded away), and say so.
  const note = `\n\n${truncationNote([...dropped, 'the end of the report'], limit)}\n`;
  const closer = '\n\n</details>';
  const body = text.slice(0, limit - note.length - closer.length);
  const cut = body.slice(0, Math.max(0, body.lastIndexOf('\n')));
  const open = cut.split('<details>').length - cut.split('</details>').length;
  return cut + (open > 0 ? closer : '') + note;
}
