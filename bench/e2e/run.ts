// End-to-end benchmark: the default example (examples/lab-nat-matrix.yml) through the real
// pipeline, 3 times with the zig cache warm, every stage timed from state.json; then a naive
// TEST stage on a lab of the same kind, one ordered pair at a time, for comparison.
// Run: npx tsx bench/e2e/run.ts   (writes the "## e2e" section of bench/RESULTS.md)
// Ctrl-C: the running pipeline tears its lab down itself; the naive lab is destroyed here.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildArtifacts } from '../../src/build/index.js';
import { buildConfigOf } from '../../src/build/from-config.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_EXAMPLE } from '../../src/config/find.js';
import { destroyLab, type Lab } from '../../src/lab/lab.js';
import { runIdOfNamespace } from '../../src/lab/names.js';
import { buildPlan } from '../../src/plan/plan.js';
import { resolveChoices } from '../../src/plan/choices.js';
import { newRunId } from '../../src/run/state.js';
import { updateSection } from '../deploy/results-file.js';
import { runNaiveTestStage, type NaiveResult } from './naive.js';
import { runPipelineOnce, type PipelineRun } from './pipeline-runs.js';
import { renderE2eSection } from './render.js';

const execFileP = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS = path.join(REPO, 'bench', 'RESULTS.md');
const RUNS = 3;
const GOAL_MS = 2 * 60_000;
/** Measure the naive stage in full when it projects under ~3 minutes, else 2 trials. */
const NAIVE_FULL_BUDGET_MS = 3 * 60_000;

/** Runs that end early (not timed) before the benchmark gives up. */
const MAX_FAILED_RUNS = 3;

const log = (line: string) => console.error(`[e2e] ${line}`);

/** Ctrl-C / SIGTERM: abort what runs here and pass the signal to the CLI child; cleanup follows. */
function interruptScope() {
  const controller = new AbortController();
  let child: ChildProcess | undefined;
  let firstAt = 0;
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // npm/tsx relay the terminal's Ctrl-C to us a second time: only a later press is news.
      if (Date.now() - firstAt > 1000) log(`${sig} again: still cleaning up so nothing is leaked; please wait`);
      return;
    }
    firstAt = Date.now();
    log(`${sig}: stopping; cleaning up`);
    controller.abort(new Error(`interrupted by ${sig}`));
    child?.kill(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    setChild: (c: ChildProcess | undefined) => (child = c),
    dispose: () => (process.off('SIGINT', handler), process.off('SIGTERM', handler)),
  };
}

function describeFailed(run: PipelineRun): string {
  return `${run.runId}: exit ${run.exitCode}; ${run.failedStages.join('; ')} (log ${run.logPath})`;
}

/** Namespaces on this machine that belong to any of `runIds` (`ip netns list`). */
async function namespacesOf(runIds: Set<string>): Promise<string[]> {
  const { stdout } = await execFileP('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((ns) => ns !== '' && runIds.has(runIdOfNamespace(ns) ?? ''));
}

async function pipelineRunIds(root: string): Promise<string[]> {
  const ids: string[] = [];
  for (const dir of await readdir(root).catch(() => [] as string[])) {
    if (dir.startsWith('run-')) ids.push(...(await readdir(path.join(root, dir, '.vps-test', 'runs')).catch(() => [] as string[])));
  }
  return ids;
}

async function main(scope: ReturnType<typeof interruptScope>): Promise<number> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-e2e-'));
  const naiveRunId = `nb${newRunId()}`;
  let lab: Lab | undefined;
  const runs: PipelineRun[] = [];
  const failedRuns: PipelineRun[] = [];
  let naive: NaiveResult | undefined;
  let warmupBuildMs = 0;
  const loadAtStart = os.loadavg();
  const examplePath = path.join(REPO, DEFAULT_EXAMPLE);
  const loaded = await loadConfig(examplePath);
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const suite = plan.suites.find((s) => s.name === 'connectivity');
  if (!suite) throw new Error(`${DEFAULT_EXAMPLE} plans no connectivity suite`);
  let leftovers: string[] = [];
  let completed = false;
  try {
    log(`working dir ${root}`);
    // Warm-up: the same build the pipeline does, with the same (default) zig cache.
    const t0 = performance.now();
    const artifacts = await buildArtifacts(buildConfigOf(loaded.config), { cwd: root, outDir: path.join(root, 'warmup-build'), onProgress: (l) => log(`warm-up: ${l}`), signal: scope.signal });
    warmupBuildMs = performance.now() - t0;
    const artifact = artifacts[0];
    if (!artifact) throw new Error('the warm-up build produced no artifact');

    // A run that ends before its stages are all done is not timed; it is counted and reported.
    for (let attempt = 1; runs.length < RUNS; attempt++) {
      scope.signal.throwIfAborted();
      if (attempt > RUNS + MAX_FAILED_RUNS) throw new Error(`${failedRuns.length} pipeline runs did not complete: ${failedRuns.map(describeFailed).join('; ')}`);
      const workdir = path.join(root, `run-${attempt}`);
      await mkdir(workdir);
      log(`pipeline run ${attempt} (${runs.length + 1} of ${RUNS} timed) in ${workdir} ...`);
      const run = await runPipelineOnce(workdir, suite.pairs, { onChild: scope.setChild });
      scope.signal.throwIfAborted();
      if (run.exitCode === null || run.failedStages.length) {
        failedRuns.push(run);
        log(`run ${attempt} did not complete, not timed: ${describeFailed(run)}`);
        continue;
      }
      runs.push(run);
      log(`run ${attempt}: ${run.runId} ${run.verdict?.toUpperCase()} in ${(run.wallMs / 1000).toFixed(2)} s; stages ${JSON.stringify(run.stages)}`);
    }

    log(`naive TEST stage on lab ${naiveRunId} ...`);
    naive = await runNaiveTestStage({
      runId: naiveRunId,
      labRoot: path.join(root, 'naive-lab'),
      artifact,
      config: loaded.config,
      plan,
      fullBudgetMs: NAIVE_FULL_BUDGET_MS,
      signal: scope.signal,
      log,
      onLab: (l) => (lab = l),
    });
    completed = true;
  } finally {
    // The naive lab is ours to remove; pipeline runs tear down their own, checked below.
    if (lab) {
      const report = await lab.destroy().catch((err: Error) => (log(`destroying naive lab ${naiveRunId}: ${err.message}`), undefined));
      if (report) log(`naive lab ${naiveRunId}: destroyed ${report.namespaces.length} namespaces, killed ${report.processesKilled} processes`);
    }
    const ids = new Set([naiveRunId, ...(await pipelineRunIds(root))]);
    leftovers = await namespacesOf(ids);
    if (leftovers.length) {
      log(`LEAK: namespaces left by this benchmark: ${leftovers.join(', ')}; removing them`);
      for (const id of ids) await destroyLab(id).catch((err: Error) => log(`destroyLab ${id}: ${err.message}`));
    } else {
      log(`leak check: \`ip netns list\` shows no namespace of runs ${[...ids].join(', ')}`);
    }
    // A failed run's logs and state stay for diagnosis; no private key stays anywhere.
    await rm(path.join(root, 'naive-lab', 'keys'), { recursive: true, force: true });
    if (completed || scope.signal.aborted) await rm(root, { recursive: true, force: true });
    else log(`kept ${root} (CLI logs, state.json, reports) for diagnosis`);
    scope.dispose();
  }
  if (leftovers.length) throw new Error(`namespaces were left behind (${leftovers.join(', ')}); results not written`);

  const nodes = plan.nodes;
  const section = renderE2eSection({
    date: new Date(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU', kernel: os.release(), node: process.version, loadAtStart, loadAtEnd: os.loadavg() },
    example: DEFAULT_EXAMPLE,
    fleetLine: `${nodes.length} lab nodes (${nodes.map((n) => `${n.name}: ${n.role === 'bootstrap' ? 'bootstrap' : n.nat}`).join(', ')})`,
    suiteLine: `connectivity, ${suite.pairs.length} ordered pairs x ${suite.trials} trials = ${suite.pairs.length * suite.trials} attempts`,
    warmupBuildMs,
    runs,
    failedRuns,
    naive: naive as NaiveResult,
    goalMs: GOAL_MS,
    probeTimeoutMs: loaded.config.tests.connectivity?.timeout ?? 3000,
    relayPairs: suite.pairs.filter((p) => p.expectedPath === 'relay').length,
  });
  const leak = `After the benchmark \`ip netns list\` showed no namespace of its ${runs.length + failedRuns.length + 1} labs (${runs.length + failedRuns.length} pipeline runs, 1 naive lab).`;
  await updateSection(RESULTS, 'e2e', `${section}\n\n${leak}\n`);
  console.log(`${section}\n\n${leak}`);
  log(`wrote the "## e2e" section of ${path.relative(REPO, RESULTS)}`);
  return 0;
}

const scope = interruptScope();
try {
  process.exitCode = await main(scope);
} catch (err) {
  const interrupted = scope.signal.aborted;
  console.error(`[e2e] ${interrupted ? 'interrupted: cleaned up, nothing written' : `failed: ${(err as Error).message}`}`);
  process.exitCode = interrupted ? 130 : 1;
}
