// `metrics:` in the config: a Prometheus endpoint on each node (port + path, scraped through
// the SSH connection, never opened to the world) and criteria on its samples, such as
// `peers_connected >= 8` (on every node) or `sum(peers_connected) >= 20` (across the nodes).
// See docs/architecture.md "Metrics". The criterion grammar lives here so load time checks it.
import { z } from 'zod';

export const AGGREGATES = ['sum', 'min', 'max', 'avg'] as const;
export type Aggregate = (typeof AGGREGATES)[number];
export const COMPARATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface MetricCriterion {
  text: string;
  /** absent: the bound holds on every scraped node */
  aggregate?: Aggregate;
  metric: string;
  /** label matchers (all must be equal) */
  labels: Record<string, string>;
  op: Comparator;
  value: number;
}

const CRITERION = /^\s*(?:(sum|min|max|avg)\s*\(\s*)?([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\))?\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)"\s*$/;

/** Parses `[agg(]name[{label="v",...}][)] op number`; a string is the problem. */
export function parseCriterion(text: string): MetricCriterion | string {
  const m = CRITERION.exec(text);
  if (!m) return `"${text}" is not a metric criterion; write e.g. "peers_connected >= 8" or "sum(peers_connected) >= 20" (aggregates: ${AGGREGATES.join(', ')}; comparisons: ${COMPARATORS.join(' ')})`;
  const [, aggregate, metric, labelText, close, op, value] = m;
  if (Boolean(aggregate) !== Boolean(close)) return `"${text}": unbalanced parenthesis`;
  const labels: Record<string, string> = {};
  for (const part of (labelText ?? '{}').slice(1, -1).split(',').filter((p) => p.trim())) {
    const l = LABEL.exec(part);
    if (!l) return `"${text}": label matcher "${part.trim()}" must be name="value"`;
    labels[l[1] as string] = l[2] as string;
  }
  return { text: text.trim(), ...(aggregate && { aggregate: aggregate as Aggregate }), metric: metric as string, labels, op: op as Comparator, value: Number(value) };
}

const criterion = z.string().transform((text, ctx): MetricCriterion => {
  const parsed = parseCriterion(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

export const metricsSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  path: z.string().regex(/^\/[^\s]*$/, 'a path such as /metrics').default('/metrics'),
  /** which nodes run an exporter */
  nodes: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  criteria: z.array(criterion).default([]),
});
export type MetricsConfig = z.output<typeof metricsSchema>;
