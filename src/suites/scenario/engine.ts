// The scenario engine (docs/architecture.md "Scenarios"): ordered steps, each reported with
// pass/fail, duration and an output excerpt. Assertions (run, http, log_count) that fail let
// the scenario go on, so one report shows every broken expectation; a failed setup step
// (capture, background, kill, restart, partition, heal) stops it, and the rest are reported as
// not run. Whatever the scenario changed on machines is undone at the end, also on failure.
import type { Scenario, ScenarioStep } from '../../config/scenario.js';
import type { ScenarioStepResult } from '../../results/scenario.js';
import { renderHealScript } from '../../lab/recipes/partition.js';
import { backgroundStep, captureStep, healStep, httpStep, killStep, logCountStep, markStep, partitionStep, restartStep, runStep } from './steps.js';
import { newState, processName, type EngineContext, type NodeOutcome, type ScenarioState } from './state.js';
import { resolveOne, shortTitle } from './targets.js';

const SETUP_KINDS = new Set<ScenarioStep['kind']>(['capture', 'background', 'kill', 'restart', 'partition', 'heal']);

export function stepTitle(step: ScenarioStep): string {
  switch (step.kind) {
    case 'run':
    case 'capture':
    case 'background':
      return shortTitle(`${step.kind} on ${step.spec.on}: ${step.spec.cmd}`);
    case 'kill':
    case 'restart':
      return `${step.kind} ${step.spec.name} on ${step.spec.on}`;
    case 'partition':
      return `partition ${step.spec.protocol === 'all' ? '' : `${step.spec.protocol} `}${step.spec.groups.map((g) => `[${g.join(', ')}]`).join(' | ')}`;
    case 'heal':
      return 'heal';
    case 'wait':
      return `wait ${step.spec} ms`;
    case 'mark':
      return `mark ${step.spec}`;
    case 'http':
      return shortTitle(`http ${step.spec.on ? `from ${step.spec.on}` : 'from the controller'}: ${step.spec.url}`);
    case 'log_count':
      return shortTitle(`log_count on ${step.spec.on}: /${step.spec.pattern}/ in ${step.spec.name}`);
  }
}

async function dispatch(ctx: EngineContext, state: ScenarioState, step: ScenarioStep, index: number): Promise<NodeOutcome[]> {
  switch (step.kind) {
    case 'run':
      return runStep(ctx, state, step.spec);
    case 'capture':
      return captureStep(ctx, state, step.spec, index);
    case 'background':
      return backgroundStep(ctx, state, step.spec);
    case 'kill':
      return killStep(ctx, step.spec);
    case 'restart':
      return restartStep(ctx, step.spec);
    case 'partition':
      return partitionStep(ctx, state, step.spec);
    case 'heal':
      return healStep(ctx, state);
    case 'wait':
      await ctx.io.sleep(step.spec, ctx.signal);
      return [{ node: 'controller', ok: true, output: `waited ${step.spec} ms` }];
    case 'mark':
      return markStep(ctx, state, step.spec);
    case 'http':
      return httpStep(ctx, state, step.spec);
    case 'log_count':
      return logCountStep(ctx, state, step.spec);
  }
}

function stepResult(scenario: string, index: number, step: ScenarioStep, outcomes: NodeOutcome[], durationMs: number): ScenarioStepResult {
  const failed = outcomes.filter((o) => !o.ok);
  const shown = failed[0] ?? outcomes[0];
  const many = outcomes.length > 1;
  const result: ScenarioStepResult = {
    scenario,
    index,
    kind: step.kind,
    title: stepTitle(step),
    ok: failed.length === 0,
    duration_ms: Math.round(durationMs),
    nodes: outcomes.map((o) => o.node),
  };
  if (shown?.command !== undefined) result.command = shown.command;
  if (shown?.exit !== undefined) result.exit = shown.exit;
  const output = many ? outcomes.filter((o) => o.output).map((o) => `[${o.node}] ${o.output}`).join('\n') : shown?.output;
  if (output) result.output = output;
  if (failed.length) result.reason = failed.map((o) => (many ? `${o.node}: ${o.reason ?? 'failed'}` : (o.reason ?? 'failed'))).join('; ');
  if (step.kind === 'run' && step.spec.peer) result.peer = step.spec.peer;
  if (step.kind === 'run' && step.spec.protocol) result.protocol = step.spec.protocol;
  const packets = outcomes.map((o) => o.peerPackets).filter((p): p is number => p !== undefined);
  if (packets.length) result.peer_packets = packets.reduce((a, b) => a + b, 0);
  return result;
}

/** Runs one scenario; `onStep` sees every result as soon as it is known (persisted by the caller). */
export async function runScenario(ctx: EngineContext, name: string, scenario: Scenario, onStep: (r: ScenarioStepResult) => void): Promise<ScenarioStepResult[]> {
  const state = newState();
  const results: ScenarioStepResult[] = [];
  const emit = (r: ScenarioStepResult) => {
    results.push(r);
    onStep(r);
  };
  let stopped: string | undefined;
  try {
    try {
      await markStep(ctx, state, 'start');
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      stopped = `the scenario could not start: ${(err as Error).message}`;
    }
    for (const [i, step] of scenario.steps.entries()) {
      const index = i + 1;
      if (stopped !== undefined) {
        emit({ scenario: name, index, kind: step.kind, title: stepTitle(step), ok: false, skipped: true, duration_ms: 0, nodes: [], reason: stopped.startsWith('the scenario') ? stopped : `not run: ${stopped}` });
        continue;
      }
      ctx.signal?.throwIfAborted();
      const started = ctx.io.now();
      let outcomes: NodeOutcome[];
      try {
        outcomes = await dispatch(ctx, state, step, index);
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        outcomes = [{ node: 'controller', ok: false, reason: (err as Error).message }];
      }
      const result = stepResult(name, index, step, outcomes, ctx.io.now() - started);
      ctx.log(`scenario ${name} step ${index} ${result.ok ? 'ok' : 'FAILED'} (${result.title})${result.ok ? '' : `: ${result.reason}`}`);
      emit(result);
      if (!result.ok && SETUP_KINDS.has(step.kind)) stopped = `step ${index} (${result.title}) failed`;
    }
  } finally {
    await cleanUp(ctx, state);
  }
  return results;
}

/** Heals partitions and stops background processes the scenario left behind. */
async function cleanUp(ctx: EngineContext, state: ScenarioState): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  for (const name of state.partitioned) {
    const node = resolveOne(ctx.fleet, name, 'heal');
    jobs.push(ctx.io.exec(node, renderHealScript(), { asNode: false, timeoutMs: 20_000 }));
  }
  for (const [name, nodes] of state.background) {
    for (const n of nodes) jobs.push(ctx.io.stop(resolveOne(ctx.fleet, n, 'stop'), processName(name)));
  }
  const settled = await Promise.allSettled(jobs);
  for (const s of settled) if (s.status === 'rejected') ctx.log(`scenario clean-up: ${(s.reason as Error).message}`);
  state.partitioned.clear();
  state.background.clear();
}
