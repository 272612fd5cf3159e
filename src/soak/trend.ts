// The soak trend table of the report: a row per checkpoint and category, with the change
// against the first checkpoint and the baseline; regressions marked. Pure.
import type { SoakComparison } from './compare.js';

const cellText = (v: string): string => v.replace(/\|/g, '\\|');
const signed = (n: number | null): string => (n === null ? '—' : `${n > 0 ? '+' : ''}${n.toFixed(1)}`);

export function renderSoakTrend(c: SoakComparison): string {
  if (!c.rows.length) return '';
  const header = ['Checkpoint', 'At', 'Category', 'Rate', 'vs first', 'vs baseline', ''];
  const lines = [`### Soak trend (tolerance ${c.tolerance} points)`, '', `| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of c.rows) {
    for (const [category, cell] of Object.entries(row.categories)) {
      const rate = cell.rate === null ? '—' : `${cell.rate.toFixed(1)}%`;
      lines.push(`| ${[row.checkpoint, row.at, category, rate, signed(cell.vs_first), signed(cell.vs_baseline), cell.regressed ? '❌ regressed' : ''].map(cellText).join(' | ')} |`);
    }
  }
  if (c.reasons.length) lines.push('', ...c.reasons.map((r) => `- ${cellText(r)}`));
  return lines.join('\n');
}
