// The fixture scenarios the golden files are rendered from: real reader, real aggregation.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../../src/plan/types.js';
import { aggregateSources } from '../../../src/results/collect.js';
import { evaluate } from '../../../src/results/evaluate.js';
import { type ResultsJson } from '../../../src/results/schema.js';
import { parseResultsJson } from '../../../src/results/load.js';
import { FIXTURES } from './golden.js';

export const TIME = new Date('2025-06-01T12:00:00.000Z');

const events = (name: string) => aggregateSources([{ stream: createReadStream(join(FIXTURES, name)), source: name }]);

export interface Scenario {
  results: ResultsJson;
  plan?: Plan;
}

/** 7 lab nodes over every NAT type, with a plan and a baseline: failures, an expected relay,
 * a relayed punch, a failed relay, a missing category, malformed lines and regressions. */
export async function labScenario(): Promise<Scenario> {
  const plan = JSON.parse(readFileSync(join(FIXTURES, 'lab-plan.json'), 'utf8')) as Plan;
  const baseline = parseResultsJson(readFileSync(join(FIXTURES, 'lab-baseline.json'), 'utf8'), 'lab-baseline.json');
  const results = evaluate({ plan, baseline, aggregate: await events('lab.jsonl'), generatedAt: TIME.toISOString(), runId: 'run-20250601-1200', malformedTolerance: 3 });
  return { results, plan };
}

/** A user's own harness: no plan, thresholds from flags, two earlier soak checkpoints. */
export async function harnessScenario(): Promise<Scenario> {
  const results = evaluate({
    aggregate: await events('harness.jsonl'),
    generatedAt: TIME.toISOString(),
    runId: 'harness-3',
    project: 'my-dht',
    thresholds: { direct: 99, nat_traversed: 85 },
    soak: [
      { checkpoint: '1h', at: '2025-06-01T10:00:00.000Z', verdict: 'pass', rates: { direct: 100, nat_traversed: 100, relay: 100 } },
      { checkpoint: '6h', at: '2025-06-01T11:00:00.000Z', verdict: 'pass', rates: { direct: 100, nat_traversed: 98.89, relay: null } },
    ],
  });
  return { results };
}

/** Same node / same identity at both ends: an error, never a pass. */
export async function falseSuccessScenario(): Promise<Scenario> {
  return { results: evaluate({ aggregate: await events('false-success.jsonl'), generatedAt: TIME.toISOString(), thresholds: { direct: 90 } }) };
}

/** Gated attempts with path evidence: direct, relayed, unmeasured rounds, false claims, none. */
export async function evidenceScenario(): Promise<Scenario> {
  return { results: evaluate({ aggregate: await events('evidence.jsonl'), generatedAt: TIME.toISOString(), thresholds: { direct: 90 } }) };
}
