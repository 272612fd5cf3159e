// results.json writer: pretty, with a stable key order independent of how the object was built,
// so files diff cleanly run to run. Each kind of object has its contract order; unknown keys
// follow, sorted; maps of category names go in category order.
import { compareCategories } from '../results/names.js';
import type { ResultsJson } from '../results/schema.js';

const ORDERS: Record<string, readonly string[]> = {
  top: ['schema', 'verdict', 'reasons', 'generated_at', 'run_id', 'project', 'criteria', 'baseline', 'categories', 'pairs', 'latency', 'throughput', 'gossip', 'malformed', 'false_success', 'nodes', 'metrics', 'soak', 'scenarios', 'prometheus'],
  criteria: ['thresholds', 'min_attempts', 'regression_tolerance', 'min_mbps', 'min_delivery', 'max_loss', 'gossip_p95_ms'],
  baseline: ['generated_at', 'run_id', 'verdict'],
  category: ['attempts', 'successes', 'rate', 'ci_low', 'ci_high', 'threshold', 'baseline_delta', 'judged', 'passed', 'note'],
  pairs: ['suite', 'from', 'to', 'from_nat', 'to_nat', 'expected_path', 'observed_path', 'attempts', 'successes', 'attempt_paths', 'ok_paths', 'rtt_p50_ms', 'rtt_p95_ms', 'top_error', 'false_success'],
  paths: ['direct', 'hole_punch', 'relay'],
  latency: ['p50_ms', 'p95_ms', 'samples'],
  throughput: ['from', 'to', 'samples', 'mbps', 'min_mbps', 'max_mbps', 'bytes', 'seconds', 'loss', 'required_mbps', 'passed', 'required_max_loss', 'loss_passed'],
  gossip: ['messages', 'delivery', 'min_delivery', 'required_delivery', 'latency_p50_ms', 'latency_p95_ms', 'required_p95_ms', 'p95_passed', 'max_hops', 'per_message'],
  per_message: ['msg', 'origin', 'delivered', 'expected', 'delivery', 'latency_p50_ms', 'latency_p95_ms', 'max_hops', 'duplicates'],
  malformed: ['count', 'samples'],
  samples: ['source', 'line', 'reason'],
  false_success: ['suite', 'from', 'to', 'count', 'reason'],
  nodes: ['name', 'role', 'nat', 'status'],
  metrics: ['node', 'name', 'count', 'last', 'min', 'max'],
  soak: ['checkpoint', 'at', 'verdict', 'rates'],
  scenarios: ['name', 'passed', 'diagnosis', 'steps'],
  steps: ['scenario', 'index', 'kind', 'title', 'ok', 'skipped', 'duration_ms', 'nodes', 'peer', 'protocol', 'peer_packets', 'command', 'exit', 'reason', 'output'],
};
const RANKS = new Map(Object.entries(ORDERS).map(([kind, keys]) => [kind, new Map(keys.map((k, i) => [k, i]))]));

/** Maps keyed by category name, and what their values are. */
const NAME_MAPS: Record<string, string> = { categories: 'category', thresholds: 'value', rates: 'value' };
/** Keys whose value is an object of a kind named differently from the key. */
const ALIASES: Record<string, string> = { attempt_paths: 'paths', ok_paths: 'paths' };

function compareIn(kind: string): (a: string, b: string) => number {
  const rank = RANKS.get(kind);
  return (a, b) => {
    const ra = rank?.get(a);
    const rb = rank?.get(b);
    if (ra !== undefined && rb !== undefined) return ra - rb;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

function ordered(value: unknown, kind: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, kind));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const valueKind = NAME_MAPS[kind];
  if (valueKind !== undefined) {
    entries.sort(([a], [b]) => compareCategories(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v, valueKind)]));
  }
  entries.sort(([a], [b]) => compareIn(kind)(a, b));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v, NAME_MAPS[k] !== undefined ? k : (ALIASES[k] ?? k))]));
}

/** results.json text: 2-space indent, trailing newline. */
export function renderResultsJson(results: ResultsJson): string {
  return `${JSON.stringify(ordered(results, 'top'), null, 2)}\n`;
}
