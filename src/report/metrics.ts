// The Prometheus section of the markdown report: each criterion with its per-node values, and
// nodes whose exporter did not answer. Pure.
import type { ResultsJson } from '../results/schema.js';
import { clip, md, table } from './format.js';

export function prometheusSection(r: ResultsJson): string {
  const p = r.prometheus;
  if (!p) return '';
  const nodes = [...new Set(p.scrapes.map((s) => s.node))];
  const out = [`### Metrics${p.endpoint ? ` (${md(p.endpoint)} on each node, scraped over SSH)` : ''}`, ''];
  if (p.criteria.length) {
    const rows = p.criteria.map((c) => [md(c.criterion), c.passed ? '✅ pass' : '❌ fail', ...nodes.map((n) => (c.values[n] === null || c.values[n] === undefined ? '—' : String(c.values[n]))), c.aggregate === undefined || c.aggregate === null ? '' : String(c.aggregate), md(clip(c.failures.join('; '), 100))]);
    out.push(table(['Criterion', 'Result', ...nodes.map(md), 'Aggregate', 'Failures'], rows), '');
  }
  const down = p.scrapes.filter((s) => !s.ok);
  for (const s of down) out.push(`- ${md(s.node)}: ${md(s.error ?? 'no scrape')}`);
  if (!down.length) out.push(`${p.scrapes.length} scrapes, ${p.scrapes.reduce((a, s) => a + s.samples, 0)} samples kept as evidence under metrics/ in the run folder.`);
  return out.join('\n').trimEnd();
}
