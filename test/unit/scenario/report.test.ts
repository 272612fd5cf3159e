import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/results/evaluate.js';
import { Aggregator } from '../../../src/results/aggregate.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { parseCriterion, type MetricCriterion } from '../../../src/config/metrics.js';
import type { ScenarioStepResult } from '../../../src/results/scenario.js';

const steps: ScenarioStepResult[] = [
  { scenario: 'failover', index: 1, kind: 'run', title: 'run on client: {bin} call', ok: true, duration_ms: 120, nodes: ['client'], output: 'stdout:\nserved-by provider-b' },
  { scenario: 'failover', index: 2, kind: 'run', title: 'run on client: {bin} call', ok: false, duration_ms: 2120, nodes: ['client'], exit: 1, command: '/w/bin/rpc.py call', output: 'stdout:\nspread\nstderr:\nerror 10.0.0.2: connection closed', reason: 'exit code 1, expected 0' },
  { scenario: 'failover', index: 3, kind: 'wait', title: 'wait 1000 ms', ok: false, skipped: true, duration_ms: 0, nodes: [], reason: 'not run: step 2 (run on client: {bin} call) failed' },
];

describe('scenario and metrics in the report', () => {
  it('a row per step, and for a failed step its command, node, exit code and output tail', () => {
    const md = renderMarkdown({ results: evaluate({ aggregate: new Aggregator(), generatedAt: 'now', scenarioSteps: steps }) });
    expect(md).toContain('### Scenario failover: ❌ failed');
    expect(md).toContain('| 2 | run on client: {bin} call | client | ❌ fail | 2.1 s | exit code 1, expected 0 |');
    expect(md).toContain('| 3 | wait 1000 ms |  | ⏭️ not run | 0.0 s |');
    expect(md).toContain('<details><summary>Step 2 on client, exit 1: exit code 1, expected 0</summary>');
    expect(md).toContain('$ /w/bin/rpc.py call\nstdout:\nspread\nstderr:\nerror 10.0.0.2: connection closed');
  });

  it('metric criteria with per-node values, and a node whose exporter is down', () => {
    const criteria = [parseCriterion('peers_connected >= 8') as MetricCriterion];
    const scrapes = [
      { checkpoint: 'test', node: 'a', at: 't', url: 'u', ok: true, samples: [{ name: 'peers_connected', labels: {}, value: 9 }] },
      { checkpoint: 'test', node: 'b', at: 't', url: 'u', ok: false, error: 'exporter did not answer at u: refused', samples: [] },
    ];
    const results = evaluate({ aggregate: new Aggregator(), generatedAt: 'now', metrics: { criteria, scrapes, endpoint: ':9464/metrics' } });
    expect(results.verdict).toBe('fail');
    expect(results.reasons).toEqual(['metric peers_connected >= 8 failed: b: exporter did not answer at u: refused']);
    const md = renderMarkdown({ results });
    expect(md).toContain('### Metrics (:9464/metrics on each node, scraped over SSH)');
    expect(md).toContain('| peers\\_connected >= 8 | ❌ fail | 9 | — |  | b: exporter did not answer at u: refused |');
    expect(md).toContain('- b: exporter did not answer at u: refused');
    // results.json keeps its key order contract for the new sections
    const text = renderResultsJson(results);
    expect(text.indexOf('"prometheus"')).toBeGreaterThan(text.indexOf('"nodes"'));
  });
});

describe('scenario steps in junit.xml', () => {
  it('a testsuite per scenario, a testcase per step; a failed step carries reason, node, exit, command and output', async () => {
    const { renderJunit } = await import('../../../src/report/junit.js');
    const xml = renderJunit(evaluate({ aggregate: new Aggregator(), generatedAt: 'now', scenarioSteps: steps }));
    expect(xml).toContain('<testsuite name="scenario:failover" tests="3" failures="2" errors="0" skipped="0">');
    expect(xml).toContain('<testcase classname="vps-test.scenario.failover" name="2. run on client: {bin} call">');
    expect(xml).toContain('<failure message="exit code 1, expected 0 (on client, exit 1)" type="failure">exit code 1, expected 0 (on client, exit 1)\n$ /w/bin/rpc.py call\nstdout:');
  });
});
