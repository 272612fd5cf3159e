// Metric criteria on scraped samples (docs/architecture.md "Metrics"). Pure: criteria and
// scrapes in, a judgement per criterion and the reasons out. A node whose exporter did not
// answer is named, never silently left out of a bound.
import type { MetricCriterion } from '../config/metrics.js';
import type { MetricScrape } from './scrape.js';
import type { Sample } from './parse.js';

export interface MetricCriterionResult {
  criterion: string;
  checkpoint: string;
  passed: boolean;
  /** per node: the matching samples summed; null when the node had none or did not answer */
  values: Record<string, number | null>;
  /** the aggregate's value, for sum/min/max/avg criteria */
  aggregate?: number | null;
  failures: string[];
}

export interface MetricsSection {
  endpoint?: string;
  scrapes: { checkpoint: string; node: string; at: string; ok: boolean; error?: string; samples: number; evidence?: string }[];
  criteria: MetricCriterionResult[];
}

const COMPARE: Record<MetricCriterion['op'], (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

function matching(samples: readonly Sample[], c: MetricCriterion): Sample[] {
  return samples.filter((s) => s.name === c.metric && Object.entries(c.labels).every(([k, v]) => s.labels[k] === v));
}

function aggregateOf(values: number[], agg: NonNullable<MetricCriterion['aggregate']>): number | null {
  if (!values.length) return null;
  switch (agg) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

const series = (c: MetricCriterion): string => `${c.metric}${Object.keys(c.labels).length ? `{${Object.entries(c.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}` : ''}`;
const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export function judgeCriterion(c: MetricCriterion, scrapes: readonly MetricScrape[]): MetricCriterionResult {
  const checkpoint = scrapes[0]?.checkpoint ?? 'test';
  const values: Record<string, number | null> = {};
  const failures: string[] = [];
  for (const s of scrapes) {
    if (!s.ok) {
      values[s.node] = null;
      failures.push(`${s.node}: ${s.error ?? 'no scrape'}`);
      continue;
    }
    const found = matching(s.samples, c);
    values[s.node] = found.length ? found.reduce((a, x) => a + x.value, 0) : null;
    // on every node: each must have it; an aggregate needs it somewhere (checked below)
    if (!found.length && !c.aggregate) failures.push(`${s.node}: no sample ${series(c)}`);
  }
  if (!scrapes.length) failures.push('no node was scraped');
  const result: MetricCriterionResult = { criterion: c.text, checkpoint, passed: false, values, failures };
  if (c.aggregate) {
    const present = Object.values(values).filter((v): v is number => v !== null);
    const value = aggregateOf(present, c.aggregate);
    result.aggregate = value;
    if (value === null && scrapes.some((s) => s.ok)) failures.push(`no node has a sample ${series(c)}`);
    if (value !== null && !COMPARE[c.op](value, c.value)) failures.unshift(`${c.aggregate} is ${fmt(value)}`);
  } else {
    for (const [node, v] of Object.entries(values)) if (v !== null && !COMPARE[c.op](v, c.value)) failures.push(`${node} has ${fmt(v)}`);
  }
  result.passed = failures.length === 0;
  return result;
}

/** The results.json section and the verdict's findings. Scrape failures with no criterion are degrades. */
export function judgeMetrics(criteria: readonly MetricCriterion[], scrapes: readonly MetricScrape[], endpoint?: string): { section: MetricsSection; fails: string[]; degrades: string[]; passes: string[] } {
  const byCheckpoint = new Map<string, MetricScrape[]>();
  for (const s of scrapes) byCheckpoint.set(s.checkpoint, [...(byCheckpoint.get(s.checkpoint) ?? []), s]);
  const results = [...byCheckpoint.values()].flatMap((list) => criteria.map((c) => judgeCriterion(c, list)));
  if (!scrapes.length) results.push(...criteria.map((c) => judgeCriterion(c, [])));
  const fails = results.filter((r) => !r.passed).map((r) => `metric ${r.criterion} failed${byCheckpoint.size > 1 ? ` at ${r.checkpoint}` : ''}: ${r.failures.join('; ')}`);
  const down = scrapes.filter((s) => !s.ok);
  const degrades = criteria.length ? [] : down.map((s) => `metrics: ${s.node}: ${s.error ?? 'no scrape'}`);
  const passes = results.length && !fails.length ? [`metric criteria met on ${scrapes.length} node${scrapes.length === 1 ? '' : 's'}: ${[...new Set(results.map((r) => r.criterion))].join(', ')}`] : [];
  const section: MetricsSection = {
    ...(endpoint && { endpoint }),
    scrapes: scrapes.map((s) => ({ checkpoint: s.checkpoint, node: s.node, at: s.at, ok: s.ok, ...(s.error && { error: s.error }), samples: s.samples.length, ...(s.evidence && { evidence: s.evidence }) })),
    criteria: results,
  };
  return { section, fails, degrades, passes };
}
