import { describe, expect, it } from 'vitest';
import { diagnoseProtocols, mergeScenarioVerdict, summarizeScenarios, type ScenarioStepResult } from '../../../src/results/scenario.js';
import { evaluate } from '../../../src/results/evaluate.js';
import { parseResultsJson } from '../../../src/results/load.js';
import { Aggregator } from '../../../src/results/aggregate.js';
import type { Plan } from '../../../src/plan/types.js';

const step = (index: number, ok: boolean, extra: Partial<ScenarioStepResult> = {}): ScenarioStepResult => ({
  scenario: 's',
  index,
  kind: 'run',
  title: `run on a: probe ${index}`,
  ok,
  duration_ms: 10,
  nodes: ['a'],
  ...(!ok && { reason: 'exit code 1, expected 0', exit: 1 }),
  ...extra,
});

function planWith(...scenarios: string[]): Plan {
  return {
    choices: { project: 'p', focus: 'full-suite', criteria: 'threshold', proof: 'logs' },
    provider: 'local',
    nodes: [{ name: 'a', role: 'peer', nat: 'none', arch: 'x86_64' }, { name: 'b', role: 'peer', nat: 'none', arch: 'x86_64' }],
    suites: scenarios.map((name) => ({ name: `scenario:${name}`, trials: 1, pairs: [] })),
    thresholds: {},
    minAttempts: 10,
    regressionTolerance: 0,
    subject: { driver: 'agent', port: 9000, relay: true },
    binary: { kind: 'prebuilt', description: 'x', targets: [] },
    build: { kind: 'agent', arches: ['x86_64'] },
    estimate: { nodeMinutes: 1 },
  };
}

describe('scenario results', () => {
  it('names the protocol that fails while the other works, and the pair', () => {
    const steps = [step(2, false, { peer: 'b', protocol: 'udp' }), step(3, true, { peer: 'b', protocol: 'tcp' })];
    expect(diagnoseProtocols(steps)).toEqual(['UDP fails while TCP works from a to b (UDP steps 2; TCP steps 3)']);
    expect(diagnoseProtocols([step(2, true, { peer: 'b', protocol: 'udp' }), step(3, true, { peer: 'b', protocol: 'tcp' })])).toEqual([]);
    expect(diagnoseProtocols([step(2, true, { peer: 'b', protocol: 'udp' }), step(3, false, { peer: 'b', protocol: 'udp' })])).toEqual(['UDP is intermittent from a to b (steps 2, 3)']);
  });

  it('a planned scenario without any step result fails, never vanishes', () => {
    expect(summarizeScenarios(['x'], [])).toEqual([{ name: 'x', passed: false, steps: [], diagnosis: ['no step was run'] }]);
  });

  it('a failed step fails the run naming the scenario, step, node, exit code and reason', () => {
    const merged = mergeScenarioVerdict({ verdict: 'pass', reasons: ['nothing to judge and nothing failed'] }, summarizeScenarios(['s'], [step(1, true), step(2, false, { output: 'stdout:\nok so far\nstderr:\nconnection refused' }), step(3, false, { skipped: true, reason: 'not run' })]));
    expect(merged.verdict).toBe('fail');
    expect(merged.reasons).toEqual(['scenario s failed at step 2 (run on a: probe 2) on a, exit 1: exit code 1, expected 0 (output: connection refused)', 'scenario s: 1 later step not run']);
  });

  it('keeps an error an error and adds the scenario failures after its reasons', () => {
    const merged = mergeScenarioVerdict({ verdict: 'error', reasons: ['stage error: x'] }, summarizeScenarios(['s'], [step(1, false)]));
    expect(merged.verdict).toBe('error');
    expect(merged.reasons[0]).toBe('stage error: x');
  });

  it('evaluate: a scenario-only run passes on its steps (not "no result events") and results.json round-trips', () => {
    const results = evaluate({ plan: planWith('s'), aggregate: new Aggregator(), generatedAt: '2026-01-01T00:00:00Z', scenarioSteps: [step(1, true), step(2, true)] });
    expect(results.verdict).toBe('pass');
    expect(results.reasons).toEqual(['all criteria met: scenario s: 2 steps passed']);
    expect(results.scenarios?.[0]).toMatchObject({ name: 's', passed: true });
    expect(parseResultsJson(JSON.stringify(results), 'r.json').scenarios).toEqual(results.scenarios);
  });

  it('evaluate: a planned scenario that never reported fails the run', () => {
    const results = evaluate({ plan: planWith('s', 't'), aggregate: new Aggregator(), generatedAt: '2026-01-01T00:00:00Z', scenarioSteps: [step(1, true)] });
    expect(results.verdict).toBe('fail');
    expect(results.reasons).toContain('scenario t failed: no step was run');
  });
});

describe('scenarios.jsonl across a re-run of the test stage', () => {
  it("a scenario run again replaces its earlier results and keeps the other scenarios'", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { forgetEarlierRun } = await import('../../../src/suites/scenario/index.js');
    const { readScenarioSteps } = await import('../../../src/results/scenario.js');
    const dir = mkdtempSync(join(tmpdir(), 'scn-'));
    const file = join(dir, 'scenarios.jsonl');
    writeFileSync(file, [step(1, true), { ...step(1, true), scenario: 'other' }, step(2, false)].map((s) => `${JSON.stringify(s)}\n`).join(''));
    forgetEarlierRun(file, 's');
    expect((await readScenarioSteps(file)).map((s) => s.scenario)).toEqual(['other']);
    writeFileSync(file, 'not json\n');
    await expect(readScenarioSteps(file)).rejects.toThrow(`${file}:1: not JSON`);
    rmSync(dir, { recursive: true });
  });
});
