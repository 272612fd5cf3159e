import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { buildPlan } from '../../plan/plan.js';
import { renderPlanSummary } from '../../plan/summary.js';
import { resolveChoices, terminalConfirm, terminalPrompter } from '../../plan/choices.js';
import { findRun, newRunId, runsRoot, type RunStateFile, type Stage } from '../../run/state.js';
import { consoleProgress } from '../../run/progress.js';
import { runPipeline, type PipelineOutcome } from '../../run/pipeline.js';
import { checkSelection, parseStages, StageSelectionError, stagesToResume } from '../../run/select.js';
import { checkRunId } from '../../run/registry.js';
import { providerFor } from '../../providers/index.js';
import { controllerLiveness } from '../../run/controller.js';
import { unsupportedSuites } from '../../run/test-stage.js';
import { checkSoakSelection, type SoakSelection } from '../../run/soak-stage.js';
import { readPlan } from '../../run/files.js';
import type { Plan } from '../../plan/types.js';
import { parseFlags, UsageError } from '../args.js';
import { CHOICE_FLAGS, CHOICE_HELP, choicesFromFlags, promptsAllowed } from '../choices.js';

const HELP = `Usage: vps-test run [CONFIG] [options]

Plans, builds, provisions, deploys, tests, evaluates, reports and tears down. CONFIG defaults
to ./.vps-test.yml, else the bundled lab NAT matrix (examples/lab-nat-matrix.yml: no account,
no cost; needs root for network namespaces). Everything lands in .vps-test/runs/<run-id>/:
report.md, results.json, results.jsonl, junit.xml, proof-*.md, journal.md, logs/<node>/.
Teardown runs also on failure and Ctrl-C.

Exit code: 0 pass (or degraded), 1 fail, 2 error or bad input, 130 interrupted.

Stages are units (each reads its inputs from the run folder and writes its outputs there):
  vps-test run --stages build,provision,deploy --run-id ID   a new run, up to deploy
  vps-test run --run ID --stages test,evaluate,report        later stages of that run
  vps-test run --resume ID                                   what is left after a crash
  vps-test run --run ID --stages soak,evaluate --soak-until next
                                        one soak checkpoint per CI job (GitHub's 6-hour limit)
The run is found by id from any directory (the per-user run registry).

Options:
${CHOICE_HELP}
  --stages LIST          run only these stages (plan,build,provision,deploy,test,evaluate,
                         report,teardown, and soak: the soak's checkpoints, after test); a
                         new run always includes plan. Without --stages (and with --resume)
                         a config with soak: soaks before evaluate; other --stages never do
  --soak-until CP        with soak: run the checkpoints left up to and including CP, or only
                         the next one left (next); later invocations go on from there
  --run ID               run --stages on an existing run (its plan and config are read back)
  --resume ID            continue a run after its last completed stage, with the same fleet
  --run-id ID            the id of a new run (default: random; CI passes its own)
  --keep                 leave the fleet up (then: vps-test nodes / diagnose / down)
  --baseline FILE        results.json of the previous run on the base branch
  --branch B             branch for the journal (default: the git branch)
  --pr N                 pull request number for the journal and proof
  -y, --yes              never ask; use flags and defaults`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { ...CHOICE_FLAGS, stages: { type: 'string' }, run: { type: 'string' }, resume: { type: 'string' }, 'run-id': { type: 'string' }, 'soak-until': { type: 'string' }, keep: { type: 'boolean' }, baseline: { type: 'string' }, branch: { type: 'string' }, pr: { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
    'run',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`run: one config at most (got ${positionals.join(' ')})`);
  const pr = values.pr === undefined ? undefined : Number(values.pr);
  if (pr !== undefined && (!Number.isInteger(pr) || pr < 1)) throw new UsageError(`--pr ${values.pr}: expected a pull request number`);

  const common = {
    progress: consoleProgress(),
    keep: Boolean(values.keep),
    branch: values.branch ?? process.env.GITHUB_HEAD_REF ?? process.env.GITHUB_REF_NAME ?? gitBranch(),
    ...(pr !== undefined && { pr }),
    ...(values.baseline !== undefined && { baselinePath: values.baseline }),
  };
  let stages: Stage[] | undefined;
  // `soak` in --stages (or --soak-until) selects soak checkpoints; other explicit stages never soak
  const soakNamed = values.stages !== undefined && values.stages.split(',').some((s) => s.trim() === 'soak');
  const soak: SoakSelection | false | undefined = soakNamed || values['soak-until'] !== undefined ? { ...(values['soak-until'] !== undefined && { until: values['soak-until'] }) } : values.stages === undefined ? undefined : false;
  try {
    const named = values.stages?.split(',').filter((s) => s.trim() !== 'soak').join(',');
    stages = values.stages === undefined ? undefined : named || !soak ? parseStages(named ?? '') : [];
    const continued = values.run ?? values.resume;
    if (continued !== undefined) {
      if (values.run !== undefined && values.resume !== undefined) throw new UsageError('run: --run and --resume exclude each other (--resume picks the stages itself)');
      if (values['run-id'] !== undefined) throw new UsageError('run: --run-id names a new run; an existing one is given with --run or --resume');
      if (positionals.length) throw new UsageError(`run: ${positionals[0]}: an existing run reads its config from its run folder; give no config`);
      const existing = existingRun(continued);
      if (values.resume !== undefined) {
        if (stages || soak !== undefined) throw new UsageError('run: --resume picks the stages itself (the soak included); use --run ID --stages LIST to choose them');
        stages = stagesToResume(existing.state);
        if (!stages.length) {
          console.log(`vps-test run ${continued}: nothing left to resume (every stage is done and the fleet is down)`);
          return 0;
        }
        console.error(`resuming run ${continued} at ${stages[0]} (stages: ${stages.join(', ')})`);
      } else if (!stages && !soak) {
        throw new UsageError('run: --run ID needs --stages LIST (or use --resume ID)');
      }
      stages ??= [];
      checkSelection(stages, existing.state);
      if (soak) checkSoakSelection(existing.state, tryReadPlan(existing.dir), soak, stages.includes('test'));
      // an explicit --stages teardown (the CI contract's "always" job) ends a fleet kept by an earlier --keep
      if (values.run !== undefined && stages.includes('teardown') && !values.keep) existing.update({ keep: false });
      return report(await runPipeline({ runId: existing.state.runId, existing, stages, ...(soak !== undefined && { soak }), ...common }));
    }
    if (soak && values.stages === undefined) throw new UsageError('run: --soak-until continues an existing run: give --run ID --stages soak');
    if (stages) {
      if (!stages.includes('plan')) stages = ['plan', ...stages];
      checkSelection(stages, undefined);
      if (soak && !stages.includes('test')) throw new UsageError('run: --stages soak: the soak starts after the first test (add test to --stages)');
    }
  } catch (err) {
    if (err instanceof StageSelectionError) throw new UsageError(`run: ${err.message}`);
    throw err;
  }
  const runId = values['run-id'] === undefined ? newRunId() : checkRunIdFlag(values['run-id']);
  if (findRun(runId)) throw new UsageError(`run: run ${runId} exists already; continue it with --run ${runId} --stages ... or --resume ${runId}`);

  const planStartedAt = Date.now();
  const found = findConfig(positionals[0], { allowDefaultExample: true });
  const loaded = await loadConfig(found.path);
  if (found.isDefaultExample) console.error(`no .vps-test.yml here: running the default example ${loaded.file}`);
  const interactive = promptsAllowed(Boolean(values.yes));
  const choices = await resolveChoices(choicesFromFlags(values), loaded.project, interactive ? await terminalPrompter() : undefined);
  const plan = buildPlan(loaded.config, choices);
  if (soak && !plan.soak) throw new UsageError(`run: --stages soak: ${loaded.file} has no soak (no soak.checkpoints); nothing was provisioned`);
  console.error(renderPlanSummary(plan));
  const unsupported = unsupportedSuites(plan);
  if (unsupported.length) throw new UsageError(`run: ${unsupported.join(', ')}: this version cannot run these suites; nothing was provisioned`);
  if (interactive && !(await terminalConfirm('Run this plan?'))) {
    console.error('not run: nothing was built or provisioned');
    return 2;
  }

  const provider = providerFor(plan.provider); // an unavailable provider is refused before a run folder exists
  const outcome = await runPipeline({
    provider,
    planStartedAt: interactive ? Date.now() : planStartedAt, // time spent answering prompts is not planning
    loaded,
    plan,
    runId,
    runsRoot: runsRoot(),
    cwd: resolve(found.isDefaultExample ? process.cwd() : resolve(found.path, '..')),
    ...(stages && { stages }),
    ...(soak !== undefined && { soak }),
    ...common,
  });
  return report(outcome);
}

function tryReadPlan(runDir: string): Plan | undefined {
  try {
    return readPlan(runDir);
  } catch {
    return undefined;
  }
}

function checkRunIdFlag(id: string): string {
  try {
    return checkRunId(id);
  } catch (err) {
    throw new UsageError(`--run-id: ${(err as Error).message}`);
  }
}

function existingRun(runId: string): RunStateFile {
  const run = findRun(runId);
  if (!run) throw new UsageError(`run: no run '${runId}' here or in this user's run registry (see vps-test status)`);
  const c = run.state.controller;
  if (c && c.pid !== process.pid && controllerLiveness(c) === 'alive' && run.current()?.status === 'running') {
    throw new UsageError(`run: run ${runId} is still driven by process ${c.pid} (stage ${run.current()?.stage}); stop it with \`vps-test stop ${runId}\``);
  }
  return run;
}

function report(outcome: PipelineOutcome): number {
  if (outcome.verdict) {
    const head = `${outcome.verdict.toUpperCase()}${outcome.stopped ? ' (stopped by vps-test stop)' : outcome.interrupted ? ` (interrupted by ${outcome.interrupted})` : ''}`;
    console.log(`vps-test run ${outcome.runId}: ${head}`);
    for (const reason of outcome.reasons) console.log(`  - ${reason}`);
    console.log(`  report: ${outcome.runDir}/report.md`);
  } else {
    const done = [...outcome.completed, ...(outcome.soakCheckpoints?.length ? [`soak checkpoint${outcome.soakCheckpoints.length > 1 ? 's' : ''} ${outcome.soakCheckpoints.join(', ')}`] : [])];
    console.log(`vps-test run ${outcome.runId}: ${done.length ? `${done.join(', ')} done` : 'nothing done'}`);
    for (const reason of outcome.reasons) console.log(`  - ${reason}`);
    console.log(`  run folder: ${outcome.runDir}`);
  }
  return outcome.exitCode;
}

function gitBranch(): string {
  try {
    return execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
