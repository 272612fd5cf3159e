// The scenario section of the markdown report: one table per scenario, a row per step, and
// for each failed step the command, node, exit code and the tail of its output. Pure.
import type { ResultsJson } from '../results/schema.js';
import { clip, md, table } from './format.js';

const MAX_FAILURE_DETAILS = 5;

function status(s: { ok: boolean; skipped?: boolean }): string {
  return s.skipped ? '⏭️ not run' : s.ok ? '✅ pass' : '❌ fail';
}

export function scenarioSection(r: ResultsJson): string {
  if (!r.scenarios?.length) return '';
  const out: string[] = [];
  for (const sc of r.scenarios) {
    out.push(`### Scenario ${md(sc.name)}: ${sc.passed ? '✅ passed' : '❌ failed'}`, '');
    for (const d of sc.diagnosis) out.push(`> ${md(d)}`, '');
    if (sc.steps.length) {
      const rows = sc.steps.map((s) => [String(s.index), md(clip(s.title, 70)), md(s.nodes.join(', ')), status(s), `${(s.duration_ms / 1000).toFixed(1)} s`, md(clip(s.reason ?? (s.output ?? '').split('\n').pop() ?? '', 90))]);
      out.push(table(['#', 'Step', 'Nodes', 'Result', 'Time', 'Detail'], rows), '');
    }
    for (const s of sc.steps.filter((x) => !x.ok && !x.skipped).slice(0, MAX_FAILURE_DETAILS)) {
      const head = `Step ${s.index} on ${s.nodes.join(', ')}${s.exit !== undefined && s.exit !== null ? `, exit ${s.exit}` : ''}: ${s.reason ?? 'failed'}`;
      const body = [s.command && `$ ${s.command}`, s.output].filter(Boolean).join('\n').replace(/```/g, "'''");
      out.push(`<details><summary>${md(head)}</summary>`, '', '```', body, '```', '', '</details>', '');
    }
  }
  return out.join('\n').trimEnd();
}
