// What each `proof` choice keeps (docs/architecture.md, "Proof modes"): which run files the proof
// stands on, whether teardown collects node logs, and the checklist of manual-verify. Pure.
import type { Plan, Proof } from '../plan/types.js';
import type { ResultsJson } from '../results/schema.js';
import { evidenceCounts } from './glyphs.js';
import { md } from './format.js';

/** The run's evidence files, where they are (or will be: logs are collected at teardown). */
export interface RunFiles {
  /** the gated result events (results.jsonl) */
  events: string;
  /** the folder teardown copies the node logs into */
  logs: string;
  /** the metrics scrapes file; null when the config has no `metrics:` */
  metrics: string | null;
}

interface Keeps {
  logs: boolean;
  events: boolean;
  metrics: boolean;
  checklist: boolean;
}

export const PROOF_KEEPS: Record<Proof, Keeps> = {
  logs: { logs: true, events: true, metrics: false, checklist: false },
  metrics: { logs: false, events: false, metrics: true, checklist: false },
  'manual-verify': { logs: false, events: false, metrics: false, checklist: true },
  'all-evidence': { logs: true, events: true, metrics: true, checklist: true },
};

/** Teardown copies the nodes' service logs only when the proof keeps them. */
export const proofCollectsLogs = (mode: Proof): boolean => PROOF_KEEPS[mode].logs;

/** The files the proof lists for a mode, and what it must say about what is not there. */
export function proofEvidence(mode: Proof, files: RunFiles): { files: string[]; notes: string[] } {
  const k = PROOF_KEEPS[mode];
  const out: string[] = [];
  const notes: string[] = [];
  if (k.events) out.push(files.events);
  if (k.logs) out.push(files.logs);
  if (k.metrics) {
    if (files.metrics !== null) out.push(files.metrics);
    else notes.push('no metrics were scraped: the config has no `metrics:` section');
  }
  if (!k.logs) notes.push(`node logs were not collected (proof: ${mode})`);
  return { files: out, notes };
}

const MAX_CHECKLIST_PAIRS = 50;

/** A checklist a human works through to verify the run without its raw logs. */
export function manualChecklist(r: ResultsJson, plan: Plan | undefined): string[] {
  // the reproduction is a new run (run ids: 2-24 lowercase letters and digits, src/run/registry.ts)
  const run = `verify${(r.run_id ?? 'run').toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 24);
  const flags = plan ? ` --focus ${plan.choices.focus} --criteria ${plan.choices.criteria} --proof ${plan.choices.proof}` : '';
  const nodes = r.nodes ?? [];
  const lines = [
    '## Verify by hand',
    '',
    `- [ ] \`vps-test validate CONFIG\`: the config of this run (its resolved form is config.json in the run folder) has no problem.`,
    `- [ ] \`vps-test run CONFIG${flags} --keep --run-id ${run}\`: reproduce${r.run_id !== undefined ? ` run ${md(r.run_id)}` : ''} and keep its fleet up; its verdict should be ${r.verdict.toUpperCase()} for the same reasons.`,
    `- [ ] \`vps-test nodes ${run}\`: the nodes below, with the same roles and NAT types.`,
    ...nodes.map((n) => `- [ ] \`vps-test diagnose ${n.name} --run ${run}\`: ${md(n.name)} runs the subject${n.nat && n.nat !== 'none' ? `, behind a NAT of type ${n.nat} (diagnose lists its router's rules)` : ''}.`),
    `- [ ] \`vps-test down ${run}\`: nothing is left running.`,
  ];
  const pairs = [...r.pairs].sort((a, b) => a.successes / Math.max(1, a.attempts) - b.successes / Math.max(1, b.attempts)).slice(0, MAX_CHECKLIST_PAIRS);
  if (pairs.length) {
    lines.push('', `Pairs to check in the reproduced run's results.json (${pairs.length === r.pairs.length ? 'all' : `the ${pairs.length} worst of ${r.pairs.length}`}):`, '');
    for (const p of pairs) {
      const saw = evidenceCounts(p);
      lines.push(`- [ ] ${md(p.suite)} ${md(p.from)}→${md(p.to)}: expected ${p.expected_path ?? 'any path'}, observed ${p.observed_path}, ${p.successes}/${p.attempts}${saw === '—' ? '' : `, network saw ${saw}`}`);
    }
  }
  return lines;
}
