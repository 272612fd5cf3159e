// proof-<timestamp>.md: what was required, what was measured, where the evidence is. Pure.
import type { Plan, Proof } from '../plan/types.js';
import type { ResultsJson } from '../results/schema.js';
import { formatMinuteUtc, md, pct, table, VERDICT_EMOJI, VERDICT_WORD } from './format.js';
import { manualChecklist, PROOF_KEEPS } from './proof-modes.js';

export interface ProofInput {
  results: ResultsJson;
  /** when the proof was written (an input: renderers have no clock) */
  time: Date;
  branch?: string;
  pr?: number;
  /** paths or URLs of evidence files (results, reports, logs) */
  evidence: readonly string[];
  /** what the evidence leaves out, said in the proof ("node logs were not collected") */
  evidenceNotes?: readonly string[];
  /** default: the plan's proof choice, else all-evidence */
  mode?: Proof;
  fixCommits?: readonly string[];
  plan?: Plan;
}

/** "proof-20250102T030405Z.md" (UTC, sortable, safe in every file system). */
export function proofFileName(time: Date): string {
  return `proof-${time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}.md`;
}

const met = (ok: boolean | null): string => (ok === null ? '— not judged' : ok ? '✅ met' : '❌ not met');

function criteriaRows(r: ResultsJson): string[][] {
  const rows: string[][] = [];
  for (const [name, c] of Object.entries(r.categories)) {
    if (c.threshold === null && c.baseline_delta === null) continue;
    const required = [c.threshold !== null ? `≥ ${c.threshold}%` : '', c.baseline_delta !== null ? `drop ≤ ${r.criteria.regression_tolerance} pts vs baseline` : ''].filter(Boolean).join(', ');
    const measured = c.rate === null ? 'no attempts' : `${pct(c.rate)} (${c.successes}/${c.attempts}, 95% CI ${pct(c.ci_low)}–${pct(c.ci_high)})${c.baseline_delta !== null ? `, Δ ${c.baseline_delta} pts` : ''}`;
    rows.push([md(name), required, measured, c.judged ? met(c.passed) : `— ${md(c.note ?? 'not judged')}`]);
  }
  if (r.criteria.min_mbps !== null && r.throughput.length) {
    const worst = Math.min(...r.throughput.map((t) => t.mbps));
    rows.push(['throughput', `≥ ${r.criteria.min_mbps} Mbit/s per pair`, `lowest pair ${worst.toFixed(1)} Mbit/s over ${r.throughput.length} pairs`, met(r.throughput.every((t) => t.passed !== false))]);
  }
  if (r.criteria.max_loss !== null && r.throughput.length) {
    const reported = r.throughput.filter((t) => t.loss !== null);
    const worst = reported.length ? `highest pair ${Math.max(...reported.map((t) => t.loss as number))}% over ${reported.length} pairs` : 'no pair reported loss';
    const silent = r.throughput.length - reported.length;
    const lossMet = r.throughput.some((t) => t.loss_passed === false) ? false : silent ? null : true;
    rows.push(['throughput loss', `≤ ${r.criteria.max_loss}% per pair`, `${worst}${silent && reported.length ? `; ${silent} ${silent === 1 ? 'pair' : 'pairs'} reported none` : ''}`, met(lossMet)]);
  }
  const g = r.gossip;
  if (g && g.required_p95_ms !== null) {
    rows.push(['gossip latency p95', `≤ ${g.required_p95_ms} ms`, `p95 ${g.latency_p95_ms ?? '—'} ms over ${g.messages} messages`, met(g.p95_passed)]);
  }
  if (g && g.required_delivery !== null) {
    const required = g.required_delivery;
    rows.push(['gossip delivery', `≥ ${required}% per message`, `lowest ${pct(g.min_delivery)}, overall ${pct(g.delivery)}`, met(g.per_message.every((m) => m.expected === 0 || (m.delivered / m.expected) * 100 >= required - 1e-9))]);
  }
  return rows;
}

export function renderProof(input: ProofInput): string {
  const r = input.results;
  const title = `# Proof — ${md(r.project ?? input.plan?.choices.project ?? 'vps-test run')} — ${formatMinuteUtc(input.time)} UTC`;
  const facts = [
    `**Verdict**: ${VERDICT_EMOJI[r.verdict]} ${VERDICT_WORD[r.verdict]}`,
    `**Run**: ${r.run_id !== undefined ? `\`${r.run_id}\`` : 'not recorded'}`,
    `**Branch**: ${input.branch !== undefined ? `\`${input.branch}\`` : 'not given'}`,
    `**PR**: ${input.pr !== undefined ? `#${input.pr}` : 'none'}`,
    `**Results generated**: ${md(r.generated_at)}`,
  ];
  if (input.plan) facts.push(`**Focus / criteria / proof**: ${input.plan.choices.focus} / ${input.plan.choices.criteria} / ${input.plan.choices.proof}`);
  const rows = criteriaRows(r);
  const parts = [title, '', facts.join('  \n'), '', '## Criteria', ''];
  parts.push(rows.length ? table(['Criterion', 'Required', 'Measured', 'Met'], rows) : 'No criteria were given; nothing was judged.');
  parts.push('', '## Reasons', '', ...r.reasons.map((x) => `- ${md(x)}`));
  const mode = input.mode ?? input.plan?.choices.proof ?? 'all-evidence';
  parts.push('', `## Evidence (proof: ${mode})`, '', ...(input.evidence.length ? input.evidence.map((e) => `- \`${e.replace(/`/g, '')}\``) : ['- none recorded']));
  parts.push(...(input.evidenceNotes ?? []).map((n) => `- ${n}`));
  if (PROOF_KEEPS[mode].checklist) parts.push('', ...manualChecklist(r, input.plan));
  parts.push('', '## Fix commits', '', ...(input.fixCommits?.length ? input.fixCommits.map((c) => `- \`${c.replace(/`/g, '')}\``) : ['- none given']));
  const nodes = r.nodes ?? [];
  parts.push('', `## Nodes tested (${nodes.length})`, '');
  parts.push(nodes.length ? table(['Node', 'Role', 'NAT', 'Status'], nodes.map((n) => [md(n.name), n.role ?? '—', n.nat ?? 'unknown', n.status])) : 'No nodes recorded.');
  return `${parts.join('\n')}\n`;
}
