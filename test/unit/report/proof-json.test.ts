import { describe, expect, it } from 'vitest';
import type { ResultsJson } from '../../../src/results/schema.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { proofFileName, renderProof } from '../../../src/report/proof.js';
import { harnessScenario, labScenario, TIME } from './scenarios.js';

/** Deep copy with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

describe('renderResultsJson', () => {
  it('has a stable key order whatever order the object was built in', async () => {
    const { results } = await labScenario();
    const text = renderResultsJson(results);
    expect(renderResultsJson(reversed(results) as ResultsJson)).toBe(text);
    expect(Object.keys(JSON.parse(text)).slice(0, 4)).toEqual(['schema', 'verdict', 'reasons', 'generated_at']);
    expect(Object.keys(JSON.parse(text).categories).slice(0, 3)).toEqual(['direct', 'nat_traversed', 'relay']);
    expect(Object.keys(JSON.parse(text).pairs[0])).toEqual(['suite', 'from', 'to', 'from_nat', 'to_nat', 'expected_path', 'observed_path', 'attempts', 'successes', 'attempt_paths', 'ok_paths', 'rtt_p50_ms', 'rtt_p95_ms']);
    expect(Object.keys(JSON.parse(text).categories.direct)).toEqual(['attempts', 'successes', 'rate', 'ci_low', 'ci_high', 'threshold', 'baseline_delta', 'judged', 'passed', 'note']);
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('proof', () => {
  it('is named by UTC time, sortable and file-system safe', () => {
    expect(proofFileName(new Date('2025-06-01T12:03:04.567Z'))).toBe('proof-20250601T120304Z.md');
  });

  it('lists criteria met or not, evidence, fix commits and nodes', async () => {
    const { results } = await harnessScenario();
    const text = renderProof({ results, time: TIME, evidence: ['harness.jsonl', 'out/report.md'], fixCommits: [] });
    expect(text).toContain('| direct | ≥ 99% | 100.0% (45/45, 95% CI 92.1%–100.0%) | ✅ met |');
    expect(text).toContain('- `harness.jsonl`\n- `out/report.md`');
    expect(text).toContain('## Fix commits\n\n- none given');
    expect(text).toContain('## Nodes tested (4)');
    expect(text).toContain('**PR**: none');
  });
});
