// SOAK (docs/architecture.md "Soak"): after the first TEST, for each `soak.checkpoints` entry,
// wait until the first test's end plus the checkpoint, run the tests again on the same fleet
// (no redeploy: a soak measures services that keep running) into checkpoints/<name>/, collect
// the logs there and evaluate it there. Every step is written to state.json first, so `status`
// shows the next checkpoint, `stop` ends a wait at once, and `run --resume` after a crash goes
// on with the checkpoints not done. The comparison joins the run's results at EVALUATE.
import { proofCollectsLogs } from '../report/proof-modes.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectLogs } from '../deploy/index.js';
import { loadResultsJson, type ResultsJson } from '../results/index.js';
import { renderResultsJson } from '../report/json.js';
import { compareCheckpoints, foldSoak, FIRST_CHECKPOINT, type CheckpointResults } from '../soak/index.js';
import { RUN_FILES, type DeploymentRecord } from './files.js';
import type { Plan } from '../plan/types.js';
import type { RunState, RunStateFile, SoakProgress } from './state.js';
import { StageSelectionError } from './select.js';
import { evaluateStep, fleetOf, poolOf, testStep, type Held, type StepEnv } from './steps.js';

export const CHECKPOINTS_DIR = 'checkpoints';

export function checkpointDir(runDir: string, name: string): string {
  return join(runDir, CHECKPOINTS_DIR, name);
}

/**
 * Which part of the soak an invocation runs (`vps-test run --run ID --stages soak --soak-until K`,
 * docs/architecture.md "Soak across jobs"): every checkpoint left (no `until`), those up to and
 * including the checkpoint named `until`, or only the next one left (`until: 'next'`). Each CI
 * job of a soak runs one, under GitHub's 6-hour job limit; the evidence accumulates in the run folder.
 */
export interface SoakSelection {
  until?: string;
}

export const NEXT_CHECKPOINT = 'next';

/** Refuses a soak selection that cannot run on this run, naming why (before anything runs). */
export function checkSoakSelection(state: RunState, plan: Plan | undefined, sel: SoakSelection, testWillRun: boolean): void {
  const soak = plan?.soak;
  if (!soak) throw new StageSelectionError(`--stages soak: run ${state.runId} has no soak (its config has no soak.checkpoints)`);
  const names = soak.checkpoints.map((c) => c.name);
  if (sel.until !== undefined && sel.until !== NEXT_CHECKPOINT && !names.includes(sel.until)) {
    throw new StageSelectionError(`--soak-until ${sel.until}: run ${state.runId} has no such checkpoint (its checkpoints: ${names.join(', ')}; or ${NEXT_CHECKPOINT})`);
  }
  if (!testWillRun && !state.stages.some((s) => s.stage === 'test' && s.status === 'done')) {
    throw new StageSelectionError(`--stages soak: the soak of run ${state.runId} starts after its first test, which has not completed (add test to --stages)`);
  }
  if (state.soak?.cutShort) throw new StageSelectionError(`--stages soak: the soak of run ${state.runId} was cut short (${state.soak.cutShort}); it is not continued: evaluate and report it`);
  if (!state.fleetUp && !testWillRun) throw new StageSelectionError(`run ${state.runId} has no fleet up (it was torn down): its soak can not go on`);
}

/** The checkpoints an invocation runs: the ones left, cut at `until`. */
function selectedCheckpoints(progress: SoakProgress, sel: SoakSelection): SoakProgress['checkpoints'] {
  const left = progress.checkpoints.filter((c) => c.status !== 'done');
  if (sel.until === undefined) return left;
  if (sel.until === NEXT_CHECKPOINT) return left.slice(0, 1);
  const end = progress.checkpoints.findIndex((c) => c.name === sel.until);
  return left.filter((c) => progress.checkpoints.indexOf(c) <= end);
}

/** Whether the run has checkpoints left: the plan has a soak, the first test is done, the soak is not over. */
export function soakPending(env: StepEnv): boolean {
  const soak = tryPlanSoak(env);
  if (!soak) return false;
  const progress = env.state.state.soak;
  if (progress?.cutShort) return false;
  const testDone = env.state.state.stages.some((s) => s.stage === 'test' && s.status === 'done');
  return testDone && (!progress || progress.checkpoints.some((c) => c.status !== 'done'));
}

function tryPlanSoak(env: StepEnv): NonNullable<ReturnType<StepEnv['plan']>['soak']> | undefined {
  try {
    return env.plan().soak;
  } catch {
    return undefined;
  }
}

/** The progress record, made on the first call from the first test's end. */
function progressOf(env: StepEnv): SoakProgress {
  const existing = env.state.state.soak;
  if (existing) return existing;
  const soak = tryPlanSoak(env);
  const tests = env.state.state.stages.filter((s) => s.stage === 'test' && s.status === 'done');
  const since = tests[tests.length - 1]?.endedAt ?? new Date().toISOString();
  const progress: SoakProgress = {
    since,
    checkpoints: (soak?.checkpoints ?? []).map((c) => ({ name: c.name, dueAt: new Date(Date.parse(since) + c.afterMs).toISOString(), status: 'pending' })),
  };
  env.state.update({ soak: progress });
  return progress;
}

/** Resolves at `dueAt`, or rejects at once when the run is stopped or interrupted. */
function waitUntil(dueAt: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, dueAt - Date.now()));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs the checkpoints not done yet; returns the names of those it ran. A stop or Ctrl-C during
 * a wait or a checkpoint's tests ends the soak, recorded as cut short, without an error: what
 * was measured is evaluated and reported, the unfinished checkpoint is not counted.
 */
export async function soakStep(env: StepEnv, held: Held, deployed: DeploymentRecord | undefined, o: { baselinePath?: string; select?: SoakSelection } = {}): Promise<string[]> {
  const progress = progressOf(env);
  const selected = new Set(selectedCheckpoints(progress, o.select ?? {}));
  if (!selected.size) env.run.log(`soak: checkpoint ${o.select?.until ?? ''} is done already; nothing to run`);
  const tolerance = tryPlanSoak(env)?.regressionTolerance ?? 0;
  const baseline = o.baselinePath ? { baselinePath: o.baselinePath } : {};
  // the first test's results, to say at each checkpoint what changed (EVALUATE writes them again)
  const first = await evaluateStep(env, baseline);
  const ran: string[] = [];
  for (const cp of progress.checkpoints) {
    if (!selected.has(cp)) continue;
    progress.next = { checkpoint: cp.name, dueAt: cp.dueAt };
    env.state.update({ soak: progress });
    const wait = Date.parse(cp.dueAt) - Date.now();
    env.run.log(`soak: checkpoint ${cp.name} due at ${cp.dueAt}${wait > 0 ? ` (in ${Math.round(wait / 1000)} s)` : ' (now)'}`);
    const dir = checkpointDir(env.run.runDir, cp.name);
    try {
      await waitUntil(Date.parse(cp.dueAt), env.signal);
      cp.status = 'running';
      env.state.update({ soak: progress });
      await probeNodes(env, held);
      const lines = await testStep(env, held, deployed, { dir, checkpoint: cp.name });
      await collectCheckpointLogs(env, held, join(dir, 'logs'));
      const results = await evaluateStep(env, { ...baseline, dir });
      Object.assign(cp, { status: 'done', endedAt: new Date().toISOString(), verdict: results.verdict });
      delete progress.next;
      env.state.update({ soak: progress });
      ran.push(cp.name);
      const found = compareCheckpoints([{ checkpoint: FIRST_CHECKPOINT, results: first }, { checkpoint: cp.name, results }], tolerance).reasons;
      env.run.log(`soak: checkpoint ${cp.name} done: ${lines} result lines, ${results.verdict.toUpperCase()}${found.length ? `; ${found.join('; ')}` : ''}`);
    } catch (err) {
      if (!env.signal.aborted) throw err;
      const why = (env.signal.reason as Error | undefined)?.message ?? 'interrupted';
      progress.cutShort = `${why} ${cp.status === 'running' ? 'during the tests of' : 'while waiting for'} checkpoint ${cp.name}`;
      cp.status = 'pending';
      delete progress.next;
      env.state.update({ soak: progress });
      env.run.log(`soak: ${progress.cutShort}`);
      return ran;
    }
  }
  const left = progress.checkpoints.filter((c) => c.status !== 'done').map((c) => c.name);
  if (o.select?.until !== undefined && left.length) env.run.log(`soak: checkpoints left for later invocations: ${left.join(', ')} (vps-test run --run ${env.run.runId} --stages soak --soak-until ${NEXT_CHECKPOINT})`);
  return ran;
}

/**
 * Every node answers, or is marked unreachable by the pool (after its consecutive failures)
 * before the tests start: a node that died during the wait is then judged as unreachable
 * instead of failing the checkpoint on its first command (docs/architecture.md "Unreachable nodes").
 */
async function probeNodes(env: StepEnv, held: Held): Promise<void> {
  const fleet = await fleetOf(env, held);
  const pool = poolOf(env, held, fleet);
  await Promise.all(
    fleet.nodes.map(async (node) => {
      while (!pool.unreachable(node) && !env.signal.aborted) {
        try {
          await pool.exec(node, 'true', { timeoutMs: 10_000 });
          return;
        } catch (err) {
          if (!pool.unreachable(node)) env.run.log(`soak: node ${node.name} did not answer: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }),
  );
  env.signal.throwIfAborted();
}

/** Node logs at this checkpoint, from the nodes still answering (the run's own pool). */
async function collectCheckpointLogs(env: StepEnv, held: Held, into: string): Promise<void> {
  const proof = env.plan().choices.proof;
  if (!proofCollectsLogs(proof)) return env.run.log(`soak: logs not collected at this checkpoint: proof ${proof} keeps no node logs`);
  const fleet = await fleetOf(env, held);
  const gone = new Set((env.state.state.unreachable ?? []).map((u) => u.node));
  const nodes = fleet.nodes.filter((n) => !gone.has(n.name));
  const logs = await collectLogs(poolOf(env, held, fleet), nodes, into).catch((err: Error) => (env.run.log(`soak: log collection failed: ${err.message}`), []));
  env.run.log(`soak: logs of ${logs.length} nodes in ${into}`);
}

/**
 * EVALUATE with a soak: the first test evaluated as usual (evaluateStep), then the checkpoints
 * done so far folded in (src/soak/fold.ts) and results.json written again.
 */
export async function evaluateWithSoak(env: StepEnv, o: { baselinePath?: string; stageError?: string }): Promise<ResultsJson> {
  const first = await evaluateStep(env, o);
  const soak = tryPlanSoak(env);
  const progress = env.state.state.soak;
  if (!soak || !progress) return first;
  const checkpoints: CheckpointResults[] = [];
  for (const cp of progress.checkpoints) {
    const file = join(checkpointDir(env.run.runDir, cp.name), RUN_FILES.results);
    if (cp.status === 'done' && existsSync(file)) checkpoints.push({ checkpoint: cp.name, results: await loadResultsJson(file) });
  }
  const baseline = o.baselinePath ? await loadResultsJson(o.baselinePath) : undefined;
  const results = foldSoak({
    first,
    checkpoints,
    planned: soak.checkpoints.map((c) => c.name),
    tolerance: soak.regressionTolerance,
    ...(baseline && { baseline }),
    ...(progress.cutShort && { cutShort: progress.cutShort }),
  });
  await writeFile(join(env.run.runDir, RUN_FILES.results), renderResultsJson(results));
  return results;
}

/** `stop` of a run whose controller died during a soak: the soak ends here, it is not continued. */
export function cutSoakShort(state: RunStateFile, why: string): void {
  const progress = state.state.soak;
  if (!progress || progress.cutShort || progress.checkpoints.every((c) => c.status === 'done')) return;
  const next = progress.checkpoints.find((c) => c.status !== 'done');
  for (const c of progress.checkpoints) if (c.status === 'running') c.status = 'pending';
  progress.cutShort = `${why} before checkpoint ${next?.name ?? '?'}`;
  delete progress.next;
  state.update({ soak: progress });
}
