// The sections of the markdown report, each a pure function of results (+ plan). markdown.ts
// assembles them and enforces the size limit.
import { PATHS } from '../config/model.js';
import type { Plan } from '../plan/types.js';
import { pathAtLeast } from '../results/oracle.js';
import { compareCategories } from '../results/names.js';
import type { CategoryResult, PairResult, ResultsJson, ThroughputResult } from '../results/schema.js';
import { cellGlyph, evidenceCounts, evidenceLegend, evidenceMarks, GLYPH, legend } from './glyphs.js';
import { EVIDENCE, type Evidence } from '../results/evidence.js';
import { clip, md, ms, pct, signedPoints, table, VERDICT_EMOJI, VERDICT_WORD } from './format.js';
import { renderSoakTrend } from '../soak/trend.js';

export interface ArtifactLink {
  name: string;
  url: string;
}

const MAX_REASONS = 20;
const MAX_FAILING_PAIRS = 20;
const MAX_ROWS = 50;

const pairLabel = (p: { from: string; to: string }): string => `${md(p.from)}→${md(p.to)}`;

export function verdictSection(r: ResultsJson): string {
  const [first, ...rest] = r.reasons;
  const summary = first ? clip(first, 200) + (rest.length ? ` (+${rest.length} more)` : '') : '';
  const facts = [
    r.project !== undefined ? `**Project** ${md(r.project)}` : '',
    r.run_id !== undefined ? `**Run** \`${r.run_id.replace(/`/g, '')}\`` : '',
    `generated ${md(r.generated_at)}`,
    r.baseline ? `baseline ${md(r.baseline.generated_at)} (${VERDICT_WORD[r.baseline.verdict]})` : 'no baseline',
  ].filter(Boolean);
  const lines = [`## ${VERDICT_EMOJI[r.verdict]} ${VERDICT_WORD[r.verdict]}${summary ? ` — ${md(summary)}` : ''}`, '', facts.join(' · ')];
  if (r.reasons.length > 1) {
    lines.push('', ...r.reasons.slice(0, MAX_REASONS).map((x) => `- ${md(x)}`));
    if (r.reasons.length > MAX_REASONS) lines.push(`- … ${r.reasons.length - MAX_REASONS} more in results.json`);
  }
  return lines.join('\n');
}

function criteriaText(r: ResultsJson, plan: Plan | undefined): string {
  const c = r.criteria;
  const parts: string[] = [];
  const thresholds = Object.keys(c.thresholds).sort(compareCategories);
  parts.push(thresholds.length ? thresholds.map((k) => `${md(k)} ≥ ${c.thresholds[k]}%`).join(', ') : 'no pass-rate thresholds');
  if (c.min_mbps !== null) parts.push(`throughput ≥ ${c.min_mbps} Mbit/s`);
  if (c.max_loss !== null) parts.push(`throughput loss ≤ ${c.max_loss}%`);
  if (c.min_delivery !== null) parts.push(`gossip delivery ≥ ${c.min_delivery}%`);
  if (c.gossip_p95_ms !== null) parts.push(`gossip latency p95 ≤ ${c.gossip_p95_ms} ms`);
  parts.push(`judged from ${c.min_attempts} attempts`, `regression tolerance ${c.regression_tolerance} pts`);
  return `${plan ? `${plan.choices.criteria}: ` : ''}${parts.join(' · ')}`;
}

export function planSection(r: ResultsJson, plan: Plan | undefined): string {
  const rows: string[][] = [];
  if (r.project !== undefined || plan) rows.push(['Project', md(r.project ?? plan?.choices.project ?? '')]);
  if (plan) rows.push(['Focus', plan.choices.focus], ['Proof', plan.choices.proof], ['Provider', plan.provider], ['Binary', md(plan.binary.description)]);
  rows.push(['Criteria', criteriaText(r, plan)]);
  if (plan?.suites.length) rows.push(['Suites', plan.suites.map((s) => `${md(s.name)}${s.pairs.length ? ` (${s.pairs.length} pairs × ${s.trials})` : ''}`).join(', ')]);
  const parts = ['### Plan', '', table(['Setting', 'Value'], rows)];
  const nodes = r.nodes ?? [];
  if (nodes.length) {
    const groups = new Map<string, string[]>();
    for (const n of nodes) {
      const key = `${n.role ?? '—'}\u0000${n.nat === null ? 'unknown' : n.nat === 'none' ? 'public' : n.nat}`;
      groups.set(key, [...(groups.get(key) ?? []), n.status === 'unreachable' ? `${md(n.name)} (unreachable)` : md(n.name)]);
    }
    const nodeRows = [...groups].map(([key, names]) => {
      const [role, nat] = key.split('\u0000') as [string, string];
      return [role, nat, String(names.length), names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ')];
    });
    parts.push('', `**Nodes** (${nodes.length})`, '', table(['Role', 'NAT', 'Count', 'Nodes'], nodeRows));
  }
  return parts.join('\n');
}

function categoryResult(c: CategoryResult): string {
  if (c.passed === true) return '✅ pass';
  if (c.passed === false) return `❌ fail${c.note ? ` — ${md(c.note)}` : ''}`;
  return `— ${md(c.note ?? 'not judged')}`;
}

const CATEGORY_HEADER = ['Category', 'Successes', 'Rate', '95% interval', 'Threshold', 'Δ baseline', 'Result'];

function categoryRow(name: string, c: CategoryResult): string[] {
  return [
    md(name),
    `${c.successes}/${c.attempts}`,
    pct(c.rate),
    c.ci_low === null || c.ci_high === null ? '—' : `${c.ci_low.toFixed(1)}–${c.ci_high.toFixed(1)}%`,
    c.threshold === null ? '—' : `≥ ${c.threshold}%`,
    signedPoints(c.baseline_delta),
    categoryResult(c),
  ];
}

/** Main categories, plus NAT-pair categories that carry a verdict; the other NAT pairs fold away. */
export function categoriesSection(r: ResultsJson): string {
  const entries = Object.entries(r.categories);
  const prominent = entries.filter(([name, c]) => !name.includes('->') || c.threshold !== null || c.passed === false);
  const folded = entries.filter((e) => !prominent.includes(e));
  const lat = r.latency.samples ? `Round-trip time of successful attempts: p50 ${ms(r.latency.p50_ms)}, p95 ${ms(r.latency.p95_ms)} (${r.latency.samples} samples).` : 'No round-trip times reported.';
  const parts = ['### Categories', '', table(CATEGORY_HEADER, prominent.map(([n, c]) => categoryRow(n, c)))];
  if (folded.length) {
    parts.push('', `<details><summary>Other NAT-type pairs (${folded.length})</summary>`, '', table(CATEGORY_HEADER, folded.map(([n, c]) => categoryRow(n, c))), '', '</details>');
  }
  parts.push('', lat);
  return parts.join('\n');
}

/** One matrix per pair suite: rows = from, columns = to. */
export function matrixSection(r: ResultsJson): string {
  const suites = [...new Set(r.pairs.map((p) => p.suite))];
  if (!suites.length) return '';
  const parts: string[] = [];
  const used = new Set<string>();
  let relayUnknown = false;
  let relayKnown = false;
  const seen = new Set<Evidence>();
  let unmarked = false;
  for (const suite of suites) {
    const pairs = r.pairs.filter((p) => p.suite === suite);
    const inSuite = new Set(pairs.flatMap((p) => [p.from, p.to]));
    const names = (r.nodes ?? []).filter((n) => n.role !== null || inSuite.has(n.name)).map((n) => n.name);
    for (const n of inSuite) if (!names.includes(n)) names.push(n);
    const byKey = new Map(pairs.map((p) => [`${p.from}\u0000${p.to}`, p]));
    const rows = names.map((from) => [
      `**${md(from)}**`,
      ...names.map((to) => {
        const pair = byKey.get(`${from}\u0000${to}`);
        const glyph = cellGlyph(pair, from === to);
        used.add(glyph);
        if (glyph === GLYPH.expectedRelay) {
          if (pair?.expected_path === null) relayUnknown = true;
          else relayKnown = true;
        }
        if (!pair || from === to) return glyph;
        const marks = evidenceMarks(pair);
        for (const k of EVIDENCE) if ((pair.evidence?.[k] ?? 0) > 0) seen.add(k);
        if (!marks) unmarked = true;
        return glyph + marks;
      }),
    ]);
    parts.push(`### Matrix — ${md(suite)}`, '', table(['from ＼ to', ...names.map(md)], rows), '');
  }
  parts.push(`Rows: from, columns: to. ${legend(used, relayUnknown, relayKnown)}`);
  const evidence = evidenceLegend(seen, unmarked);
  if (evidence) parts.push('', evidence);
  return parts.join('\n');
}

/** Paths that worked but are worse than expected (not counted as successes), e.g. "only via relay ×12". */
function worsePath(p: PairResult): string {
  const expected = p.expected_path;
  if (expected === null) return '';
  const worse = PATHS.filter((x) => p.ok_paths[x] > 0 && !pathAtLeast(x, expected));
  return worse.length ? `worked only via ${worse.map((x) => `${x} ×${p.ok_paths[x]}`).join(', ')}` : '';
}

function failing(p: PairResult): boolean {
  return p.successes < p.attempts || p.false_success !== undefined || (p.false_claims ?? 0) > 0;
}

export function failingPairsSection(r: ResultsJson): string {
  const bad = r.pairs.filter(failing);
  if (!bad.length) return '';
  const worst = [...bad].sort((a, b) => a.successes / a.attempts - b.successes / b.attempts).slice(0, MAX_FAILING_PAIRS);
  const nat = (n: string | null): string => (n === null ? '?' : n === 'none' ? 'public' : n);
  const withEvidence = r.pairs.some((p) => p.evidence !== undefined);
  const rows = worst.map((p) => [
    md(p.suite),
    pairLabel(p),
    `${nat(p.from_nat)}→${nat(p.to_nat)}`,
    p.expected_path ?? '—',
    p.observed_path,
    `${p.successes}/${p.attempts}`,
    ...(withEvidence ? [evidenceCounts(p)] : []),
    md(clip(p.false_success ?? (p.false_claim !== undefined ? `${p.false_claims ?? 0}× false claim: ${p.false_claim}` : undefined) ?? p.top_error ?? worsePath(p), 80)) || '—',
  ]);
  const title = bad.length > worst.length ? `### Failing pairs (worst ${worst.length} of ${bad.length})` : `### Failing pairs (${bad.length})`;
  return [title, '', table(['Suite', 'Pair', 'NAT', 'Expected', 'Observed', 'Successes', ...(withEvidence ? ['Network saw'] : []), 'Top error'], rows)].join('\n');
}

/** Mbit/s and loss judged together: ❌ names what failed, — when neither was judged. */
function throughputResult(t: ThroughputResult): string {
  const failed = [t.passed === false ? 'Mbit/s' : '', t.loss_passed === false ? 'loss' : ''].filter(Boolean);
  if (failed.length) return `❌ ${failed.join(', ')}`;
  const unjudgedLoss = t.required_max_loss !== null && t.loss_passed === null;
  if (t.passed === null && t.loss_passed === null) return unjudgedLoss ? '— loss not reported' : '—';
  return unjudgedLoss ? '⚠️ loss not reported' : '✅';
}

export function throughputSection(r: ResultsJson): string {
  if (!r.throughput.length) return '';
  const rows = r.throughput.slice(0, MAX_ROWS).map((t) => [
    pairLabel(t),
    t.mbps.toFixed(1),
    `${t.min_mbps.toFixed(1)}–${t.max_mbps.toFixed(1)}`,
    String(t.samples),
    t.loss === null ? '—' : `${t.loss}%`,
    [t.required_mbps === null ? '' : `≥ ${t.required_mbps} Mbit/s`, t.required_max_loss === null ? '' : `loss ≤ ${t.required_max_loss}%`].filter(Boolean).join(', ') || '—',
    throughputResult(t),
  ]);
  const more = r.throughput.length > MAX_ROWS ? `\n\n… ${r.throughput.length - MAX_ROWS} more pairs in results.json` : '';
  return ['### Throughput', '', table(['Pair', 'Mbit/s', 'min–max', 'Samples', 'Loss', 'Required', 'Result'], rows)].join('\n') + more;
}

export function gossipSection(r: ResultsJson): string {
  const g = r.gossip;
  if (!g) return '';
  const req = g.required_delivery === null ? '' : `, required ≥ ${g.required_delivery}% per message`;
  const bound = g.required_p95_ms === null ? '' : ` (bound ≤ ${g.required_p95_ms} ms: ${g.p95_passed === null ? '— not judged' : g.p95_passed ? '✅ met' : '❌ exceeded'})`;
  const head = `${g.messages} messages: delivery ${pct(g.delivery)} overall (lowest ${pct(g.min_delivery)})${req}; latency p50 ${ms(g.latency_p50_ms)}, p95 ${ms(g.latency_p95_ms)}${bound}; max hops ${g.max_hops}.`;
  const shown = g.per_message.length > MAX_ROWS ? [...g.per_message].sort((a, b) => a.delivery - b.delivery).slice(0, MAX_ROWS) : g.per_message;
  const rows = shown.map((m) => [md(m.msg), md(m.origin), `${m.delivered}/${m.expected}`, pct(m.delivery), ms(m.latency_p50_ms), ms(m.latency_p95_ms), String(m.max_hops)]);
  const note = shown.length < g.per_message.length ? `\n\nShowing the ${shown.length} least-delivered of ${g.per_message.length} messages.` : '';
  return ['### Gossip', '', head, '', table(['Message', 'Origin', 'Delivered', 'Delivery', 'p50', 'p95', 'Max hops'], rows)].join('\n') + note;
}

export function soakSection(r: ResultsJson): string {
  if (!r.soak?.length) return '';
  // a soak the pipeline ran carries its trend: a row per checkpoint and category (src/soak)
  if (r.soak.some((s) => s.trend)) {
    const rows = r.soak.map((s) => ({ checkpoint: s.checkpoint, at: s.at, verdict: s.verdict, categories: Object.fromEntries(Object.entries(s.rates).map(([c, rate]) => [c, { rate, vs_first: s.trend?.[c]?.vs_first ?? null, vs_baseline: s.trend?.[c]?.vs_baseline ?? null, regressed: s.trend?.[c]?.regressed ?? false }])) }));
    return renderSoakTrend({ tolerance: r.criteria.regression_tolerance, rows, regressions: [], reasons: [] });
  }
  const cats = Object.keys(r.categories).filter((c) => !c.includes('->'));
  const rows = [
    ...r.soak.map((s) => [md(s.checkpoint), md(s.at), `${VERDICT_EMOJI[s.verdict]} ${VERDICT_WORD[s.verdict]}`, ...cats.map((c) => pct(s.rates[c] ?? null))]),
    ['**now**', md(r.generated_at), `${VERDICT_EMOJI[r.verdict]} ${VERDICT_WORD[r.verdict]}`, ...cats.map((c) => pct(r.categories[c]?.rate ?? null))],
  ];
  return ['### Soak trend', '', table(['Checkpoint', 'At', 'Verdict', ...cats.map(md)], rows)].join('\n');
}

export function artifactsSection(artifacts: readonly ArtifactLink[]): string {
  if (!artifacts.length) return '';
  return ['### Artifacts', '', ...artifacts.map((a) => `- [${md(a.name)}](${encodeURI(a.url).replace(/[()]/g, (c) => encodeURIComponent(c))})`)].join('\n');
}

export function malformedSection(r: ResultsJson): string {
  const m = r.malformed;
  if (!m.count) return '';
  const lines = m.samples.slice(0, 5).map((s) => `- \`${s.source.replace(/`/g, '')}:${s.line}\` ${md(s.reason)}`);
  return [`### Malformed lines`, '', `⚠️ ${m.count} malformed line${m.count === 1 ? ' was' : 's were'} counted and left out of the rates.`, '', ...lines].join('\n');
}
