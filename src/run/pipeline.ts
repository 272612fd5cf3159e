// The run as a state machine (DESIGN.md section 1):
//   PLAN -> BUILD -> PROVISION -> DEPLOY -> TEST -> EVALUATE -> REPORT -> TEARDOWN
// A failure in any stage still ends in EVALUATE/REPORT with what was learned, and TEARDOWN
// always runs (also on Ctrl-C). Every transition is written to the run's state.json.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.js';
import type { Plan } from '../plan/types.js';
import { buildArtifacts, type Artifact } from '../build/index.js';
import { buildConfigOf } from '../build/from-config.js';
import type { Fleet, Provider, RunContext } from '../providers/types.js';
import { SshPool } from '../ssh/index.js';
import { collectLogs } from '../deploy/index.js';
import { EventSink } from '../suites/sink.js';
import type { SuiteContext } from '../suites/context.js';
import { aggregateSources, evaluate, loadResultsJson, readScenarioSteps, scenarioResultsPath, type ResultsJson } from '../results/index.js';
import { writeReportSet } from '../report/bundle.js';
import { RunStateFile, type Stage } from './state.js';
import type { Progress } from './progress.js';
import { deployStage, type Deployed } from './deploy-stage.js';
import { testStage } from './test-stage.js';
import { metricsResultsPath, readMetricScrapes } from '../metrics/index.js';
import { abortOnSignals } from './signals.js';

export interface PipelineInput {
  loaded: LoadedConfig;
  plan: Plan;
  runId: string;
  runsRoot: string;
  provider: Provider;
  progress: Progress;
  /** leave the fleet up for nodes/diagnose/down */
  keep?: boolean;
  baselinePath?: string;
  branch?: string;
  pr?: number;
  /** project root: relative build paths resolve here */
  cwd: string;
  /** where zig keeps its cache between runs */
  zigCacheDir?: string;
  /** when planning began (config load, choices): the plan stage is done before the pipeline */
  planStartedAt?: number;
}

export interface PipelineOutcome {
  runId: string;
  runDir: string;
  verdict: ResultsJson['verdict'];
  reasons: string[];
  exitCode: number;
  interrupted?: NodeJS.Signals;
}

const EXIT = { pass: 0, degraded: 0, fail: 1, error: 2 } as const;

export async function runPipeline(input: PipelineInput): Promise<PipelineOutcome> {
  const { loaded, plan, runId, progress } = input;
  const state = RunStateFile.create(input.runsRoot, { runId, configPath: loaded.file, project: plan.choices.project, provider: plan.provider, keep: Boolean(input.keep) });
  const runDir = state.dir;
  const eventsPath = join(runDir, 'results.jsonl');
  const signals = abortOnSignals((l) => progress.line(l));
  const run: RunContext = { runId, runDir, log: (l) => progress.line(l), signal: signals.signal };
  const sink = new EventSink(eventsPath);
  let stageError: string | undefined;
  let fleet: Fleet | undefined;
  let pool: SshPool | undefined;

  /**
   * Runs one stage with its progress lines and state record; returns undefined when it failed.
   * Stages up to TEST stop on Ctrl-C; EVALUATE, REPORT and TEARDOWN always run.
   */
  const stage = async <T>(name: Stage, work: () => Promise<T>, note?: (t: T) => string, startedAt?: number): Promise<T | undefined> => {
    const record = state.begin(name);
    if (startedAt) record.startedAt = new Date(startedAt).toISOString();
    progress.stage(name);
    const started = startedAt ?? Date.now();
    const interruptible = name === 'plan' || name === 'build' || name === 'provision' || name === 'deploy' || name === 'test';
    try {
      if (interruptible) signals.signal.throwIfAborted();
      const value = await work();
      state.end(record, 'done');
      progress.done(name, Date.now() - started, note?.(value));
      return value;
    } catch (err) {
      const message = interruptible && signals.received ? `interrupted by ${signals.received}` : (err as Error).message;
      state.end(record, 'failed', message);
      progress.failed(name, Date.now() - started, message);
      stageError ??= `${name} failed: ${message}`;
      return undefined;
    }
  };

  try {
    // The plan was made by the caller; what is left of it is whether the provider can host it,
    // asked before the build so a machine that can't run the lab fails in a second, not after it.
    const hostable = await stage(
      'plan',
      async () => {
        await input.provider.check?.(plan, run);
        return true;
      },
      undefined,
      input.planStartedAt,
    );
    const artifacts = hostable
      ? await stage('build', () => buildArtifacts(buildConfigOf(loaded.config), { cwd: input.cwd, outDir: join(runDir, 'build'), onProgress: run.log, ...(input.zigCacheDir && { zigCacheDir: input.zigCacheDir }), signal: signals.signal }), (a: Artifact[]) => a.map((x) => x.target).join(', '))
      : undefined;
    if (artifacts) {
      state.update({ fleetUp: true }); // from here on, something may exist that teardown must remove
      fleet = await stage('provision', () => input.provider.provision(plan, run), (f) => `${f.nodes.length} nodes`);
    }
    let deployed: Deployed | undefined;
    if (fleet) {
      pool = SshPool.forFleet(fleet);
      const f = fleet;
      const p = pool;
      deployed = await stage('deploy', () => deployStage({ config: loaded.config, fleet: f, pool: p, artifacts: artifacts as Artifact[], binaryName: binaryNameOf(loaded, artifacts as Artifact[]), log: run.log, runId }));
    }
    if (fleet && pool && deployed) {
      const ctx: SuiteContext = {
        fleet,
        pool,
        plan,
        binPath: deployed.binPath,
        server: deployed.server ?? { ip: '', port: 0 },
        events: sink,
        flushNat: () => flushNat(fleet as Fleet),
        log: run.log,
        signal: signals.signal,
      };
      await stage('test', () => testStage(ctx, loaded.config, plan), () => `${sink.lines} result lines`);
    }
  } finally {
    await sink.close();
  }

  const results = await stage('evaluate', async () => {
    const baseline = input.baselinePath ? await loadResultsJson(input.baselinePath) : undefined;
    const aggregate = await aggregateSources([eventsPath]);
    const scenarioSteps = await readScenarioSteps(scenarioResultsPath(runDir));
    const m = loaded.config.metrics;
    const metrics = m && { criteria: m.criteria, scrapes: await readMetricScrapes(metricsResultsPath(runDir)), endpoint: `:${m.port}${m.path}` };
    return evaluate({ plan, aggregate, generatedAt: new Date().toISOString(), runId, project: plan.choices.project, scenarioSteps, ...(metrics && { metrics }), ...(baseline && { baseline }), ...(stageError && { stageError }) });
  }, (r) => r.verdict.toUpperCase());

  if (results) {
    await stage('report', async () => {
      await mkdir(runDir, { recursive: true });
      const journal = loaded.config.report.journal;
      return writeReportSet({
        results,
        plan,
        out: runDir,
        time: new Date(),
        branch: input.branch ?? 'unknown',
        ...(input.pr !== undefined && { pr: input.pr }),
        evidence: [eventsPath, join(runDir, 'logs')],
        ...(journal && { journal }),
      });
    }, () => `reports in ${runDir}`);
  }

  await stage('teardown', async () => {
    if (pool && fleet) {
      const logs = await collectLogs(pool, fleet.nodes, join(runDir, 'logs')).catch((err: Error) => (run.log(`log collection failed: ${err.message}`), []));
      run.log(`logs collected from ${logs.length} nodes into ${join(runDir, 'logs')}`);
    }
    await pool?.close();
    if (input.keep && fleet && !signals.received) {
      run.log(`--keep: the fleet stays up; inspect with \`vps-test nodes\`, remove with \`vps-test down ${runId}\``);
      return;
    }
    if (state.state.fleetUp) {
      // Teardown must not be cut short by the Ctrl-C that may have brought us here.
      await input.provider.destroy({ runId, runDir, log: run.log });
      state.update({ fleetUp: false });
    }
  });
  signals.dispose();

  const verdict = results?.verdict ?? 'error';
  const reasons = results?.reasons ?? [stageError ?? 'evaluation failed'];
  const exitCode = signals.received ? 130 : EXIT[verdict];
  state.update({ verdict, exitCode });
  return { runId, runDir, verdict, reasons, exitCode, ...(signals.received && { interrupted: signals.received }) };
}

function binaryNameOf(loaded: LoadedConfig, artifacts: Artifact[]): string {
  const first = artifacts[0];
  return first ? (first.path.split('/').pop() as string) : (loaded.config.build.binary ?? 'subject');
}

async function flushNat(fleet: Fleet): Promise<void> {
  if (fleet.provider !== 'local') return;
  const { flushConntrack } = await import('../lab/lab.js');
  await flushConntrack(fleet);
}
