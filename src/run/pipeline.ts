// The run as a state machine (docs/architecture.md, "Stages"):
//   PLAN -> BUILD -> PROVISION -> DEPLOY -> TEST -> EVALUATE -> REPORT -> TEARDOWN
// Stages are units: each reads its inputs from the run folder and writes its outputs there
// (files.ts), so `run` can run all of them, some of them (--stages) or what is left (--resume).
// A failure or interruption in any stage still ends in EVALUATE/REPORT with what was learned,
// and TEARDOWN always runs then (also on Ctrl-C). Every transition is written to state.json.
import { appendFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Plan } from '../plan/types.js';
import type { Artifact } from '../build/index.js';
import type { Fleet, Provider, RunContext } from '../providers/types.js';
import { providerFor } from '../providers/index.js';
import type { SshPool } from '../ssh/index.js';
import type { ResultsJson } from '../results/index.js';
import { RunStateFile, STAGES, type Stage } from './state.js';
import { teeProgress, type Progress } from './progress.js';
import { abortOnSignals, STOP_FILE } from './signals.js';
import { thisController } from './controller.js';
import { readConfig, readPlan, writeConfig, writePlan, type DeploymentRecord } from './files.js';
import { buildStep, deployStep, killOrphanedChildren, provisionStep, reportStep, teardownStep, testStep, type StepEnv } from './steps.js';
import { evaluateWithSoak, soakPending, soakStep, type SoakSelection } from './soak-stage.js';

export interface PipelineInput {
  runId: string;
  /** a new run: its folder is made under runsRoot, the plan and config come from the caller */
  runsRoot?: string;
  loaded?: LoadedConfig;
  plan?: Plan;
  /** an existing run: its plan and config are read back from its folder */
  existing?: RunStateFile;
  /** the stages to run, in pipeline order (default: every stage) */
  stages?: readonly Stage[];
  /** default: the provider registry's provider for the plan */
  provider?: Provider;
  progress: Progress;
  /** leave the fleet up for nodes/diagnose/down */
  keep?: boolean;
  baselinePath?: string;
  branch?: string;
  pr?: number;
  /** project root: relative build paths resolve here (default: the one the run recorded) */
  cwd?: string;
  /** where zig keeps its cache between runs */
  zigCacheDir?: string;
  /** when planning began (config load, choices): the plan stage is done before the pipeline */
  planStartedAt?: number;
  /** an earlier failure this invocation continues from (e.g. the controller died) */
  stageError?: string;
  /** what runs after a failure or interruption (default evaluate, report, teardown; `up`: teardown) */
  closingStages?: readonly Stage[];
  /**
   * The soak (soak-stage.ts): absent, it runs before EVALUATE when that is selected (a whole run,
   * --resume); false never; a selection runs those checkpoints whatever else is selected (CI: one
   * job per checkpoint).
   */
  soak?: SoakSelection | false;
}

export interface PipelineOutcome {
  runId: string;
  runDir: string;
  /** absent when no evaluation ran (a partial run that succeeded) */
  verdict?: ResultsJson['verdict'];
  reasons: string[];
  exitCode: number;
  /** stages that completed in this invocation */
  completed: Stage[];
  /** soak checkpoints run in this invocation */
  soakCheckpoints?: string[];
  interrupted?: NodeJS.Signals;
  stopped?: boolean;
}

/** The controller's progress lines, for `vps-test logs RUN`. */
export const RUN_LOG = 'run.log';

const EXIT = { pass: 0, degraded: 0, fail: 1, error: 2 } as const;
const INTERRUPTIBLE = new Set<Stage>(['plan', 'build', 'provision', 'deploy', 'test']);

export async function runPipeline(input: PipelineInput): Promise<PipelineOutcome> {
  const { runId } = input;
  const state = input.existing ?? createRun(input);
  const runDir = state.dir;
  const progress = teeProgress(input.progress, (line) => appendFileSync(join(runDir, RUN_LOG), line));
  rmSync(join(runDir, STOP_FILE), { force: true }); // a stop request is for the controller it was sent to
  if (state.registryError) progress.line(state.registryError);
  killOrphanedChildren(state, (l) => progress.line(l));
  const selected = new Set<Stage>(input.stages ?? STAGES);
  const signals = abortOnSignals((l) => progress.line(l), { stopFile: join(runDir, STOP_FILE) });
  const run: RunContext = { runId, runDir, log: (l) => progress.line(l), signal: signals.signal };
  let config: Config | undefined = input.loaded?.config;
  let plan: Plan | undefined = input.plan;
  const env: StepEnv = {
    run,
    state,
    signal: signals.signal,
    config: () => (config ??= readConfig(runDir)),
    plan: () => (plan ??= readPlan(runDir)),
    provider: () => (provider ??= input.provider ?? providerFor(state.state.provider)),
    cwd: input.cwd ?? state.state.projectDir ?? process.cwd(),
    ...(input.zigCacheDir && { zigCacheDir: input.zigCacheDir }),
  };
  let provider: Provider | undefined;
  state.update({ controller: thisController(), projectDir: env.cwd, keep: Boolean(input.keep) || state.state.keep });
  let stageError = input.stageError;
  const completed: Stage[] = [];

  /**
   * Runs one stage with its progress lines and state record; returns undefined when it failed.
   * Stages up to TEST stop on Ctrl-C; EVALUATE, REPORT and TEARDOWN always run.
   */
  const stage = async <T>(name: Stage, work: () => Promise<T>, note?: (t: T) => string, startedAt?: number): Promise<T | undefined> => {
    const record = state.begin(name);
    if (startedAt) record.startedAt = new Date(startedAt).toISOString();
    progress.stage(name);
    const started = startedAt ?? Date.now();
    const interruptible = INTERRUPTIBLE.has(name);
    try {
      if (interruptible) signals.signal.throwIfAborted();
      const value = await work();
      state.end(record, 'done');
      completed.push(name);
      progress.done(name, Date.now() - started, note?.(value));
      return value;
    } catch (err) {
      const message = interruptible && signals.received ? (signals.stopRequested ? 'stopped by vps-test stop' : `interrupted by ${signals.received}`) : `${(err as Error).message}${lowSpaceNote(runDir)}`;
      state.end(record, 'failed', message);
      progress.failed(name, Date.now() - started, message);
      stageError ??= `${name} ${signals.stopRequested && interruptible ? 'was stopped' : 'failed'}: ${message}`;
      return undefined;
    }
  };
  const go = (name: Stage) => selected.has(name) && !stageError && !signals.received;

  let artifacts: Artifact[] | undefined;
  let fleet: Fleet | undefined;
  let deployment: DeploymentRecord | undefined;
  let pool: SshPool | undefined;
  const held = { fleet: () => fleet, pool: () => pool, setPool: (p: SshPool) => (pool = p) };

  if (go('plan')) {
    // The plan was made by the caller; what is left of it is whether the provider can host it,
    // asked before the build so a machine that can't run the lab fails in a second, not after it.
    await stage('plan', async () => {
      await env.provider().check?.(env.plan(), run);
      writeConfig(runDir, env.config());
      writePlan(runDir, env.plan());
    }, undefined, input.planStartedAt);
  }
  if (go('build')) artifacts = await stage('build', () => buildStep(env), (a) => a.map((x) => x.target).join(', '));
  if (go('provision')) fleet = await stage('provision', () => provisionStep(env), (f) => `${f.nodes.length} nodes`);
  if (go('deploy')) deployment = await stage('deploy', () => deployStep(env, held, artifacts));
  if (go('test')) await stage('test', () => testStep(env, held, deployment), (lines) => `${lines} result lines`);
  const soakSelected = input.soak === undefined ? go('evaluate') : input.soak !== false && !stageError && !signals.received;
  let soakRan: string[] | undefined;
  if (soakSelected && soakPending(env)) {
    // SOAK between TEST and EVALUATE (soak-stage.ts); its progress lives in state.json's `soak`
    const started = Date.now();
    progress.stage('soak');
    try {
      const ran = await soakStep(env, held, deployment, { ...(input.baselinePath && { baselinePath: input.baselinePath }), ...(input.soak && { select: input.soak }) });
      soakRan = ran;
      progress.done('soak', Date.now() - started, `${ran.length} checkpoints${state.state.soak?.cutShort ? `; ${state.state.soak.cutShort}` : ''}`);
    } catch (err) {
      progress.failed('soak', Date.now() - started, (err as Error).message);
      stageError ??= `soak failed: ${(err as Error).message}`;
    }
  } else if (soakSelected && input.soak) {
    progress.line(state.state.soak?.cutShort ? `soak: cut short (${state.state.soak.cutShort}); not continued` : 'soak: no checkpoint left to run');
  }

  // After a failure or an interruption the run ends here whatever was asked: evaluate, report, tear down.
  const closing = Boolean(stageError || signals.received);
  const closes = new Set<Stage>(input.closingStages ?? ['evaluate', 'report', 'teardown']);
  let results: ResultsJson | undefined;
  if (selected.has('evaluate') || (closing && closes.has('evaluate'))) {
    results = await stage('evaluate', () => evaluateWithSoak(env, { ...(input.baselinePath && { baselinePath: input.baselinePath }), ...(stageError && { stageError }) }), (r) => r.verdict.toUpperCase());
  }
  if (selected.has('report') || (closing && closes.has('report') && results)) {
    await stage('report', () => reportStep(env, results, { branch: input.branch ?? 'unknown', ...(input.pr !== undefined && { pr: input.pr }) }), () => `reports in ${runDir}`);
  }
  // --keep keeps a fleet that came up whole; a half-provisioned one, or one after Ctrl-C, goes
  const provisioned = state.state.stages.some((s) => s.stage === 'provision' && s.status === 'done');
  const keep = state.state.keep && !signals.received && provisioned;
  if (selected.has('teardown') || (closing && closes.has('teardown') && !keep)) {
    await stage('teardown', () => teardownStep(env, held, { keep, collectLogs: !signals.received || signals.stopRequested }));
  } else if (state.state.fleetUp) {
    progress.line(`the fleet stays up for the next stages (vps-test run --run ${runId} --stages ...); remove it with \`vps-test down ${runId}\``);
  }
  await pool?.close(); // a run that ends before teardown (--stages ...) leaves no connection open
  signals.dispose();

  const verdict = results?.verdict;
  const reasons = results?.reasons ?? (stageError ? [stageError] : []);
  let exitCode = signals.received && !signals.stopRequested ? 130 : verdict ? EXIT[verdict] : stageError ? 2 : 0;
  if (state.writeError) {
    reasons.push(`cannot write the run folder ${runDir}: ${state.writeError.message}`);
    if (exitCode === 0) exitCode = 2;
  }
  state.update({ ...(verdict && { verdict }), exitCode });
  return { runId, runDir, ...(verdict && { verdict }), reasons, exitCode, completed, ...(soakRan && { soakCheckpoints: soakRan }), ...(signals.received && { interrupted: signals.received }), ...(signals.stopRequested && { stopped: true }) };
}

/** A stage that failed on a (nearly) full disk says so: tools rarely name ENOSPC themselves. */
function lowSpaceNote(runDir: string): string {
  try {
    const fs = statfsSync(runDir);
    const free = fs.bavail * fs.bsize;
    return free < 4 * 1024 * 1024 ? ` (the run folder ${runDir} has only ${Math.floor(free / 1024)} KiB free)` : '';
  } catch {
    return '';
  }
}

function createRun(input: PipelineInput): RunStateFile {
  const { loaded, plan } = input;
  if (!loaded || !plan || !input.runsRoot) throw new Error('a new run needs its config, plan and runs folder');
  try {
    return RunStateFile.create(input.runsRoot, { runId: input.runId, configPath: loaded.file, project: plan.choices.project, provider: plan.provider, keep: Boolean(input.keep) });
  } catch (err) {
    throw new Error(`run ${input.runId}: cannot create the run folder under ${input.runsRoot}: ${(err as Error).message}; nothing was built or provisioned`);
  }
}
