// results.json writer: pretty, with a stable key order independent of how the object was built,
// so files diff cleanly run to run. Known keys come in contract order; others follow sorted.
import { compareCategories } from '../results/names.js';
import type { ResultsJson } from '../results/schema.js';

const KEY_ORDER = [
  // top level
  'schema', 'verdict', 'reasons', 'generated_at', 'run_id', 'project', 'criteria', 'baseline', 'categories', 'pairs',
  'latency', 'throughput', 'gossip', 'malformed', 'false_success', 'nodes', 'metrics', 'soak',
  // criteria
  'thresholds', 'min_attempts', 'regression_tolerance', 'min_mbps', 'min_delivery',
  // categories (and per-path counts) in the order reports show them
  'direct', 'nat_traversed', 'hole_punch', 'relay',
  // category entries
  'attempts', 'successes', 'rate', 'ci_low', 'ci_high', 'threshold', 'baseline_delta', 'judged', 'passed', 'note',
  // pairs, throughput, gossip, nodes, soak, metrics
  'suite', 'msg', 'checkpoint', 'at', 'name', 'node', 'from', 'to', 'origin', 'role', 'nat', 'status', 'from_nat', 'to_nat', 'expected_path', 'observed_path',
  'attempt_paths', 'ok_paths', 'rtt_p50_ms', 'rtt_p95_ms', 'top_error', 'samples', 'mbps', 'max_mbps', 'bytes', 'seconds', 'loss',
  'required_mbps', 'messages', 'delivered', 'expected', 'delivery', 'required_delivery', 'latency_p50_ms', 'latency_p95_ms',
  'max_hops', 'duplicates', 'per_message', 'p50_ms', 'p95_ms', 'count', 'last', 'min', 'max', 'line', 'source', 'reason', 'rates',
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

/** Keys that hold maps of category names: their keys go in category order (direct, nat_traversed, relay, NAT pairs). */
const NAME_MAPS = new Set(['categories', 'thresholds', 'rates']);

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  if (ra !== undefined) return -1;
  if (rb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(value: unknown, nameMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (nameMap ? compareCategories(a, b) : compareKeys(a, b)));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v, NAME_MAPS.has(k))]));
}

/** results.json text: 2-space indent, trailing newline. */
export function renderResultsJson(results: ResultsJson): string {
  return `${JSON.stringify(ordered(results), null, 2)}\n`;
}
