// Journal entries in the exact docs/architecture.md, "Reports", format, inserted latest-on-top without
// touching a byte of older entries. Pure: time and branch are inputs.
import type { ResultsJson, Verdict } from '../results/schema.js';
import { clip, formatMinuteUtc, pct } from './format.js';

export const JOURNAL_TITLE = '# vps-test journal';

export type JournalStatus = 'PASS' | 'FAIL' | 'DEGRADED' | 'IN PROGRESS';

export interface JournalInput {
  results: ResultsJson;
  time: Date;
  branch: string;
  pr?: number | null;
  /** a soak that has more checkpoints to go */
  inProgress?: boolean;
  /** overrides the derived one-line finding */
  finding?: string;
  /** overrides the derived next steps */
  nextSteps?: readonly string[];
}

const STATUS: Record<Verdict, JournalStatus> = { pass: 'PASS', fail: 'FAIL', degraded: 'DEGRADED', error: 'FAIL' };

const oneLine = (text: string): string => text.replace(/\s*\r?\n\s*/g, ' ').trim();

/** The one-line finding: a verdict change against the baseline, a finished soak, or the verdict and its first reason. */
export function describeFinding(r: ResultsJson, inProgress = false): string {
  const now = r.verdict.toUpperCase();
  const first = r.reasons[0] ?? '';
  const before = r.baseline?.verdict;
  let text: string;
  // a soak run by the pipeline lists every checkpoint (with its trend); `report --soak` lists the earlier ones
  const checkpoints = r.soak?.some((s) => s.trend) ? r.soak.length : (r.soak?.length ?? 0) + 1;
  if (r.soak?.length && !inProgress) text = `soak completed after ${checkpoints} checkpoints: ${now}${first ? ` - ${first}` : ''}`;
  else if (before && before !== r.verdict && r.verdict === 'pass') text = `recovered: PASS after ${before.toUpperCase()} on the baseline`;
  else if (before && before !== r.verdict) text = `${now} after ${before.toUpperCase()} on the baseline - ${first}`;
  else text = `${now}${first ? ` - ${first}` : ''}`;
  return clip(oneLine(text), 160);
}

function keyFindings(r: ResultsJson): string[] {
  const out = r.reasons.slice(0, 10).map(oneLine);
  if (r.reasons.length > 10) out.push(`... ${r.reasons.length - 10} more ${r.reasons.length - 10 === 1 ? 'reason' : 'reasons'} in results.json`);
  return out;
}

function technicalDetails(r: ResultsJson): string[] {
  const out: string[] = [];
  if (r.run_id !== undefined) out.push(`Run: ${r.run_id} (results generated ${r.generated_at})`);
  else out.push(`Results generated ${r.generated_at}`);
  for (const [name, c] of Object.entries(r.categories)) {
    if (name.includes('->') && c.passed !== false) continue; // NAT-pair rows only when they failed
    if (c.attempts === 0 && c.threshold === null) continue;
    const threshold = c.threshold !== null ? `, threshold ${c.threshold}%` : '';
    const delta = c.baseline_delta !== null ? `, baseline ${c.baseline_delta >= 0 ? '+' : ''}${c.baseline_delta} pts` : '';
    const ci = c.ci_low !== null ? `, 95% CI ${pct(c.ci_low)}-${pct(c.ci_high)}` : '';
    out.push(`${name}: ${pct(c.rate)} (${c.successes}/${c.attempts}${ci}${threshold}${delta})${c.note ? ` - ${c.note}` : ''}`);
  }
  if (r.latency.samples) out.push(`RTT p50 ${r.latency.p50_ms} ms, p95 ${r.latency.p95_ms} ms over ${r.latency.samples} successful attempts`);
  if (r.throughput.length) {
    const mbps = r.throughput.map((t) => t.mbps);
    const losses = r.throughput.flatMap((t) => (t.loss === null ? [] : [t.loss]));
    const loss = losses.length ? `, loss up to ${Math.max(...losses)}%${r.criteria.max_loss !== null ? ` (max ${r.criteria.max_loss}%)` : ''}` : '';
    out.push(`Throughput: ${r.throughput.length} pairs, ${Math.min(...mbps).toFixed(1)}-${Math.max(...mbps).toFixed(1)} Mbit/s${loss}`);
  }
  if (r.gossip) out.push(`Gossip: ${r.gossip.messages} messages, delivery ${pct(r.gossip.delivery)} (lowest ${pct(r.gossip.min_delivery)}), p95 ${r.gossip.latency_p95_ms} ms${r.gossip.required_p95_ms !== null ? ` (bound ${r.gossip.required_p95_ms} ms)` : ''}`);
  const nodes = r.nodes ?? [];
  if (nodes.length) {
    const byNat = new Map<string, number>();
    for (const n of nodes) byNat.set(n.nat ?? 'unknown', (byNat.get(n.nat ?? 'unknown') ?? 0) + 1);
    out.push(`Nodes: ${nodes.length} (${[...byNat].map(([nat, n]) => `${n} ${nat === 'none' ? 'public' : nat}`).join(', ')})`);
  }
  if (r.malformed.count) out.push(`Malformed result lines: ${r.malformed.count}`);
  if (r.baseline) out.push(`Baseline: ${r.baseline.run_id ?? 'run'} from ${r.baseline.generated_at} (${r.baseline.verdict.toUpperCase()})`);
  return out.map(oneLine);
}

/** Next steps derived from what went wrong; the first applicable ones, most urgent first. */
export function suggestNextSteps(r: ResultsJson): string[] {
  const steps: string[] = [];
  if (r.false_success?.length) steps.push(`Fix the pair mapping: ${r.false_success.map((f) => `${f.from}->${f.to}`).slice(0, 3).join(', ')} resolve to the same node or identity`);
  if (r.reasons.some((x) => x.startsWith('stage error:'))) steps.push('Fix the failing stage (see the run logs) and run again');
  if (r.reasons.some((x) => x.startsWith('no result events') || x.startsWith('no valid result events'))) steps.push('Check that the test subject writes result events (JSONL, v:1) to stdout or the results file');
  const failed = Object.entries(r.categories).filter(([n, c]) => c.passed === false && !n.includes('->'));
  for (const [name, c] of failed) {
    steps.push(c.note?.startsWith('regressed') ? `Find the change that regressed ${name} since the baseline (compare commits since ${r.baseline?.generated_at ?? 'the baseline'})` : `Investigate the failing ${name} pairs in the report matrix and node logs`);
  }
  if (r.throughput.some((t) => t.passed === false)) steps.push('Profile the slow throughput pairs (link impairments, CPU, congestion control)');
  if (r.throughput.some((t) => t.loss_passed === false)) steps.push('Find where the lossy throughput pairs drop packets (link, buffers, NAT mapping churn)');
  if (r.gossip?.p95_passed === false) steps.push('Trace the slowest gossip messages (hop counts, fan-out, relayed links)');
  if (r.gossip && r.gossip.required_delivery !== null && r.gossip.min_delivery < r.gossip.required_delivery) steps.push('Trace the undelivered gossip messages (fan-out, peer tables)');
  if ((r.nodes ?? []).some((n) => n.status === 'unreachable')) steps.push('Check provisioning and SSH reachability of the unreachable nodes');
  if (r.malformed.count) steps.push(`Fix the event output: ${r.malformed.count} malformed lines`);
  const unjudged = Object.entries(r.categories).filter(([, c]) => c.threshold !== null && !c.judged);
  const untested = unjudged.filter(([, c]) => c.attempts === 0).map(([n]) => n);
  if (untested.length) steps.push(`Add nodes or pairs for ${untested.join(', ')}, or drop ${untested.length === 1 ? 'its threshold' : 'their thresholds'}: no attempts`);
  if (unjudged.length > untested.length) steps.push('Raise trials so every category with a threshold reaches the minimum attempts');
  if (!steps.length) steps.push(r.verdict === 'pass' ? 'None required; this run is the baseline for the next one' : 'Review the reasons above');
  return steps;
}

export function renderJournalEntry(input: JournalInput): string {
  const r = input.results;
  const status: JournalStatus = input.inProgress ? 'IN PROGRESS' : STATUS[r.verdict];
  const bullets = (items: readonly string[]): string[] => items.map((x) => `- ${oneLine(x)}`);
  return [
    `### ${formatMinuteUtc(input.time)} - Finding: ${oneLine(input.finding ?? describeFinding(r, input.inProgress))}`,
    `**Branch**: \`${input.branch}\``,
    `**Status**: ${status}`,
    `**PR**: ${input.pr !== undefined && input.pr !== null ? `#${input.pr}` : 'none'}`,
    '#### Key Findings:',
    ...bullets(keyFindings(r)),
    '#### Technical Details:',
    ...bullets(technicalDetails(r)),
    '#### Next Steps:',
    ...bullets(input.nextSteps ?? suggestNextSteps(r)),
    '',
  ].join('\n');
}

/** Offset of the first line starting with "### " outside fenced code blocks, or -1. */
function firstEntryOffset(text: string): number {
  let offset = 0;
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && line.startsWith('### ')) return offset;
    offset += line.length + 1;
  }
  return -1;
}

/**
 * Inserts `entry` latest-on-top: after the title/preamble, before the first existing entry.
 * Every byte from the first existing entry on is kept as is. An empty journal gets a title.
 */
export function insertJournalEntry(existing: string, entry: string): string {
  const block = entry.endsWith('\n') ? entry : `${entry}\n`;
  if (existing.trim() === '') return `${JOURNAL_TITLE}\n\n${block}`;
  const at = firstEntryOffset(existing);
  if (at !== -1) return `${existing.slice(0, at)}${block}\n${existing.slice(at)}`;
  const sep = existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return `${existing}${sep}${block}`;
}
