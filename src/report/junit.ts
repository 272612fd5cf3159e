// JUnit XML for test UIs: a testsuite per category with a testcase per pair, plus suites for
// throughput, gossip and the overall verdict (so the test UI is red exactly when the run is). Pure.
import { pairContributions } from '../results/contributions.js';
import type { GossipResult, ResultsJson, ThroughputResult } from '../results/schema.js';

/** Escapes text for XML attributes and content, dropping characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Case {
  classname: string;
  name: string;
  failure?: string;
  error?: string;
  out?: string;
}

interface Suite {
  name: string;
  properties: [string, string][];
  cases: Case[];
}

const fmt = (rate: number): string => `${rate.toFixed(1)}%`;

function categorySuites(r: ResultsJson): Suite[] {
  const suites = new Map<string, Suite>();
  for (const [name, c] of Object.entries(r.categories)) {
    const props: [string, string][] = [
      ['attempts', String(c.attempts)],
      ['successes', String(c.successes)],
      ['rate', c.rate === null ? '' : String(c.rate)],
      ['ci_low', c.ci_low === null ? '' : String(c.ci_low)],
      ['ci_high', c.ci_high === null ? '' : String(c.ci_high)],
      ['threshold', c.threshold === null ? '' : String(c.threshold)],
      ['baseline_delta', c.baseline_delta === null ? '' : String(c.baseline_delta)],
    ];
    const summary: Case = { classname: `vps-test.${name}`, name: `${name} rate` };
    const detail = `${c.successes}/${c.attempts} (${c.rate === null ? 'no attempts' : fmt(c.rate)})${c.note ? `; ${c.note}` : ''}`;
    if (c.passed === false) summary.failure = detail + (c.threshold !== null ? `; threshold ${c.threshold}%` : '');
    else summary.out = detail;
    suites.set(name, { name, properties: props, cases: [summary] });
  }
  for (const p of r.pairs) {
    for (const contrib of pairContributions(p)) {
      const suite = suites.get(contrib.category);
      const category = r.categories[contrib.category];
      if (!suite || !category) continue;
      const rate = contrib.attempts ? (contrib.successes / contrib.attempts) * 100 : 0;
      const detail = `${contrib.successes}/${contrib.attempts} succeeded (${fmt(rate)}); expected ${p.expected_path ?? 'unknown'}, observed ${p.observed_path}${p.top_error ? `; top error: ${p.top_error}` : ''}`;
      const tc: Case = { classname: `vps-test.${contrib.category}.${p.suite}`, name: `${p.from}->${p.to}` };
      if (p.false_success) tc.error = `false success: ${p.false_success}`;
      else if (category.threshold !== null && rate < category.threshold - 1e-9) tc.failure = `${detail}; threshold ${category.threshold}%`;
      else tc.out = detail;
      suite.cases.push(tc);
    }
  }
  return [...suites.values()];
}

/** One case per pair: a failure when Mbit/s or loss misses its bound; an unjudgeable loss says so. */
function throughputCase(t: ThroughputResult): Case {
  const loss = t.loss === null ? 'no loss reported' : `loss ${t.loss}%`;
  const detail = `${t.mbps} Mbit/s mean over ${t.samples} samples (min ${t.min_mbps}), ${loss}`;
  const failed = [t.passed === false ? `${t.mbps} Mbit/s < ${t.required_mbps} Mbit/s` : '', t.loss_passed === false ? `loss ${t.loss}% > ${t.required_max_loss}%` : ''].filter(Boolean);
  const unjudged = t.required_max_loss !== null && t.loss === null ? `; loss not judged (max ${t.required_max_loss}%)` : '';
  const c: Case = { classname: 'vps-test.throughput', name: `${t.from}->${t.to}` };
  if (failed.length) c.failure = `${failed.join('; ')}: ${detail}${unjudged}`;
  else c.out = detail + unjudged;
  return c;
}

/** The overall delivery latency p95 against its bound, naming the slowest messages. */
function gossipP95Case(g: GossipResult): Case {
  const c: Case = { classname: 'vps-test.gossip', name: 'latency p95' };
  const slowest = [...g.per_message]
    .filter((m) => m.latency_p95_ms !== null)
    .sort((a, b) => (b.latency_p95_ms as number) - (a.latency_p95_ms as number))
    .slice(0, 3)
    .map((m) => `${m.msg} ${m.latency_p95_ms} ms`)
    .join(', ');
  const detail = `p95 ${g.latency_p95_ms ?? 'unknown'} ms, bound ${g.required_p95_ms} ms${slowest ? `; slowest messages by p95: ${slowest}` : ''}`;
  if (g.p95_passed === false) c.failure = `p95 ${g.latency_p95_ms} ms > ${g.required_p95_ms} ms\n${detail}`;
  else c.out = g.p95_passed === null ? `not judged: ${detail}` : detail;
  return c;
}

function extraSuites(r: ResultsJson): Suite[] {
  const out: Suite[] = [];
  if (r.throughput.length) {
    const props: [string, string][] = [];
    if (r.criteria.min_mbps !== null) props.push(['min_mbps', String(r.criteria.min_mbps)]);
    if (r.criteria.max_loss !== null) props.push(['max_loss', String(r.criteria.max_loss)]);
    out.push({ name: 'throughput', properties: props, cases: r.throughput.map(throughputCase) });
  }
  const g = r.gossip;
  if (g) {
    const props: [string, string][] = [['delivery', String(g.delivery)]];
    if (g.required_delivery !== null) props.push(['required_delivery', String(g.required_delivery)]);
    if (g.latency_p95_ms !== null) props.push(['latency_p95_ms', String(g.latency_p95_ms)]);
    if (g.required_p95_ms !== null) props.push(['required_p95_ms', String(g.required_p95_ms)]);
    const cases: Case[] = g.per_message.map((m) => {
      const detail = `delivered to ${m.delivered}/${m.expected} (${fmt(m.delivery)}), max hops ${m.max_hops}`;
      const short = g.required_delivery !== null && m.expected > 0 && (m.delivered / m.expected) * 100 < g.required_delivery - 1e-9;
      return { classname: 'vps-test.gossip', name: m.msg, ...(short ? { failure: `${detail} < ${g.required_delivery}%` } : { out: detail }) };
    });
    if (g.required_p95_ms !== null) cases.push(gossipP95Case(g));
    out.push({ name: 'gossip', properties: props, cases });
  }
  for (const sc of r.scenarios ?? []) {
    const cases: Case[] = sc.steps.map((st) => {
      const name = `${st.index}. ${st.title}`;
      if (st.ok) return { classname: `vps-test.scenario.${sc.name}`, name, ...(st.output && { out: st.output }) };
      const detail = [`${st.reason ?? 'failed'}${st.nodes.length ? ` (on ${st.nodes.join(', ')}${st.exit !== undefined && st.exit !== null ? `, exit ${st.exit}` : ''})` : ''}`, st.command && `$ ${st.command}`, st.output].filter(Boolean).join('\n');
      return { classname: `vps-test.scenario.${sc.name}`, name, failure: detail };
    });
    if (!cases.length) cases.push({ classname: `vps-test.scenario.${sc.name}`, name: 'steps', failure: sc.diagnosis.join('; ') || 'no step was run' });
    out.push({ name: `scenario:${sc.name}`, properties: [['passed', String(sc.passed)]], cases });
  }
  const verdictCase: Case = { classname: 'vps-test.run', name: 'verdict' };
  const why = r.reasons.join('\n');
  if (r.verdict === 'error') verdictCase.error = why;
  else if (r.verdict === 'fail') verdictCase.failure = why;
  else verdictCase.out = `${r.verdict}: ${why}`;
  out.push({ name: 'verdict', properties: [['verdict', r.verdict]], cases: [verdictCase] });
  return out;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function renderCase(c: Case): string {
  const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}"`;
  const body: string[] = [];
  if (c.error !== undefined) body.push(`      <error message="${xmlEscape(firstLine(c.error))}" type="error">${xmlEscape(c.error)}</error>`);
  if (c.failure !== undefined) body.push(`      <failure message="${xmlEscape(firstLine(c.failure))}" type="failure">${xmlEscape(c.failure)}</failure>`);
  if (c.out !== undefined) body.push(`      <system-out>${xmlEscape(c.out)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

export function renderJunit(r: ResultsJson): string {
  const suites = [...categorySuites(r), ...extraSuites(r)];
  const count = (cases: Case[], key: 'failure' | 'error'): number => cases.filter((c) => c[key] !== undefined).length;
  const all = suites.flatMap((x) => x.cases);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vps-test" tests="${all.length}" failures="${count(all, 'failure')}" errors="${count(all, 'error')}" timestamp="${xmlEscape(r.generated_at)}">`,
  ];
  for (const suite of suites) {
    lines.push(`  <testsuite name="${xmlEscape(suite.name)}" tests="${suite.cases.length}" failures="${count(suite.cases, 'failure')}" errors="${count(suite.cases, 'error')}" skipped="0">`);
    if (suite.properties.length) {
      lines.push('    <properties>', ...suite.properties.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`), '    </properties>');
    }
    lines.push(...suite.cases.map(renderCase), '  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
