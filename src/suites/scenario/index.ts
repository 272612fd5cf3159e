// The scenario suite: runs `scenario:<name>` from the Plan on the fleet and persists every
// step's result to scenarios.jsonl in the run folder (evaluated like any suite's results).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Plan } from '../../plan/types.js';
import { scenarioResultsPath, type ScenarioStepResult } from '../../results/scenario.js';
import type { SuiteContext } from '../context.js';
import { runScenario } from './engine.js';
import { sshScenarioIO } from './io.js';

export { runScenario, stepTitle } from './engine.js';
export type { EngineContext } from './state.js';
export type { ScenarioIO, HttpResponse } from './io.js';

export const SCENARIO_PREFIX = 'scenario:';

export async function runScenarioSuite(ctx: SuiteContext, plan: Plan, suiteName: string): Promise<ScenarioStepResult[]> {
  const name = suiteName.slice(SCENARIO_PREFIX.length);
  const scenario = plan.scenarios?.[name];
  if (!scenario) throw new Error(`suite ${suiteName}: no scenario named ${name} in tests.scenarios`);
  // Next to results.jsonl: the run folder (stages are units; evaluate reads it from there).
  const out = scenarioResultsPath(dirname(ctx.events.path));
  forgetEarlierRun(out, name);
  ctx.log(`scenario ${name}: ${scenario.steps.length} steps${scenario.description ? ` (${scenario.description})` : ''}`);
  const results = await runScenario(
    {
      io: sshScenarioIO(ctx.pool, ctx.signal),
      fleet: ctx.fleet,
      binPath: ctx.binPath,
      log: ctx.log,
      ...(ctx.signal && { signal: ctx.signal }),
      // partitions and path evidence need nft, i.e. root on every machine (always on the lab)
      nft: ctx.fleet.nodes.every((n) => n.ssh.user === 'root'),
    },
    name,
    scenario,
    (r) => appendFileSync(out, `${JSON.stringify(r)}\n`),
  );
  const failed = results.filter((r) => !r.ok && !r.skipped).length;
  ctx.log(`scenario ${name}: ${results.length - failed} of ${results.length} steps passed`);
  return results;
}

/** A test stage run again on the same run folder (resume) replaces a scenario's results, never mixes them. */
export function forgetEarlierRun(path: string, scenario: string): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && (JSON.parse(line) as { scenario?: string }).scenario !== scenario);
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}
