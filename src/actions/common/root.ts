// The root action's main step: the whole pipeline in one step (docs/architecture.md "GitHub
// Actions"). Reads inputs, elevates, restores the baseline, re-executes the CLI, then publishes
// (summary, PR comment, journal, artifacts), saves the baseline and maps the verdict to the
// step's outcome. Everything the post step needs to tear down is saved in GITHUB_STATE first.
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { baselineKeys, restoreBaseline, saveBaseline } from '../../report/sinks/baseline.js';
import { appendJobSummary, summaryNotice } from '../../report/sinks/job-summary.js';
import { errorMessage } from '../../report/sinks/github-client.js';
import { readInputs, InputError, type ActionInputs } from './inputs.js';
import { jobContext, type JobContext } from './context.js';
import { configAnnotations } from './annotations.js';
import { configFacts } from './config-facts.js';
import { childEnv, cliPath, detectPrivilege, elevated, newActionRunId, noPrivilegeMessage, packageRoot, runArgv, runCli, registryOf, runsRootOf, supportedRunFlags, type Privilege } from './cli.js';
import { readJson, readState, runFiles, runsCreatedSince, verdictOf, type ResultsView } from './run-outputs.js';
import { publishRun } from './publish.js';
import { cacheClient } from './clients.js';
import { execFile } from 'node:child_process';

const DEFAULT_EXAMPLE_PROJECT = 'lab-nat-matrix';

export async function installSystemDeps(p: Privilege): Promise<string | undefined> {
  const script = join(packageRoot(), 'scripts', 'install-system-deps.sh');
  if (!existsSync(script)) return undefined;
  const [cmd, ...args] = elevated(p, ['bash', script]);
  return new Promise((res) => execFile(cmd as string, args, { timeout: 600_000 }, (err, out, errOut) => {
    if (out.trim()) core.info(out.trim());
    res(err ? `installing the Debian packages the lab needs failed: ${(errOut || err.message).trim()}` : undefined);
  }));
}

/** The config to pass: the file when it exists; none (the CLI's default lab example) when the default name is absent. */
export function configArg(inputs: ActionInputs, workspace: string): { path?: string; problem?: string } {
  const path = isAbsolute(inputs.config) ? inputs.config : resolve(workspace, inputs.config);
  if (existsSync(path)) return { path };
  if (inputs.configIsDefault) return {}; // the CLI runs the default lab example
  return { problem: `input config: ${inputs.config} does not exist in ${workspace}` };
}

async function fail(ctx: JobContext | undefined, message: string): Promise<void> {
  core.setFailed(message);
  core.setOutput('verdict', 'error');
  await appendJobSummary(ctx?.summaryPath ?? process.env.GITHUB_STEP_SUMMARY, `## vps-test: ERROR\n${summaryNotice('WARNING', message)}`).catch(() => false);
}

export async function rootMain(): Promise<void> {
  let ctx: JobContext | undefined;
  try {
    const inputs = readInputs((n) => core.getInput(n));
    for (const secret of [inputs.githubToken, inputs.digitaloceanToken]) if (secret) core.setSecret(secret);
    ctx = jobContext();
    const config = configArg(inputs, ctx.workspace);
    if (config.problem) return await fail(ctx, config.problem);
    const facts = configFacts(config.path, DEFAULT_EXAMPLE_PROJECT);
    const project = inputs.choices.project ?? facts.project;

    const privilege = await detectPrivilege();
    if (facts.provider === 'local') {
      if (privilege.mode === 'none') return await fail(ctx, noPrivilegeMessage(privilege));
      const depsProblem = await installSystemDeps(privilege);
      if (depsProblem) return await fail(ctx, depsProblem);
    }
    // No zig is set up here: the CLI uses zig on PATH, else fetches the pinned one with npm when
    // a build needs it (docs/architecture.md, "Zig on demand"); the default run needs none.
    const node = process.execPath;
    const supported = await supportedRunFlags(node);
    const runsRoot = runsRootOf(ctx.workspace);
    const runId = newActionRunId();
    const startedAt = Date.now();
    core.saveState('startedAt', String(startedAt));
    core.saveState('runsRoot', runsRoot);
    core.saveState('privilege', privilege.mode);
    core.saveState('keep', String(inputs.keep));
    if (supported.has('--run-id')) core.saveState('runId', runId);

    const summaryExtra: string[] = [];
    let baselinePath: string | undefined;
    const keys = baselineKeys({ project, branch: ctx.branch, ...(ctx.baseBranch && { baseBranch: ctx.baseBranch }), runId });
    const cache = inputs.baseline ? await cacheClient() : undefined;
    if (inputs.baseline && !cache) summaryExtra.push('No baseline: the Actions cache service is not available to this step, so no deltas are shown.');
    if (cache) {
      try {
        const restored = await restoreBaseline(cache, keys, project, resolve(ctx.workspace, '.vps-test/baseline/results.json'));
        if (restored.path) baselinePath = restored.path;
        if (!restored.path) summaryExtra.push(restored.message);
        core.info(restored.message);
      } catch (err) {
        summaryExtra.push(`No baseline: restoring it failed (${errorMessage(err)}).`);
      }
    }

    const args = runArgv({ ...(config.path && { config: config.path }), runId, keep: inputs.keep, ...(baselinePath && { baseline: baselinePath }), branch: ctx.branch, ...(ctx.prNumber !== undefined && { pr: ctx.prNumber }), choices: inputs.choices }, supported);
    const env = childEnv(process.env, { DIGITALOCEAN_TOKEN: inputs.digitaloceanToken, VPS_TEST_STATE_DIR: registryOf(runsRoot) });
    core.info(`vps-test ${args.join(' ')}${privilege.mode === 'sudo' ? ' (under sudo -E)' : ''}`);
    const outcome = await runCli(privilege, node, args, { cwd: ctx.workspace, env, onStart: (pid) => core.saveState('cliPid', String(pid)) });

    const actualId = supported.has('--run-id') ? runId : runsCreatedSince(runsRoot, startedAt).pop()?.runId;
    if (!actualId || !existsSync(join(runsRoot, actualId))) {
      for (const a of configAnnotations(outcome.stderr, ctx.workspace)) core.error(a.message, { title: 'vps-test config', file: a.file, startLine: a.line, startColumn: a.col });
      const tail = outcome.stderr.trim().split('\n').slice(-12).join('\n');
      return await fail(ctx, `vps-test run stopped before a run started (exit ${outcome.code ?? outcome.signal}); nothing was provisioned:\n${tail}`);
    }
    core.saveState('runId', actualId);
    const runDir = join(runsRoot, actualId);
    const files = runFiles(runDir);
    const state = readState(runDir);
    const results = files.resultsPath ? readJson<ResultsView>(files.resultsPath) : undefined;
    const verdict = verdictOf(state, results);
    core.setOutput('verdict', verdict);
    core.setOutput('run-id', actualId);
    core.setOutput('report-path', files.reportPath ?? '');
    core.setOutput('results-path', files.resultsPath ?? '');

    const published = await publishRun({ inputs, ctx, files, runId: actualId, log: { info: core.info, warning: core.warning }, extraSummary: summaryExtra });
    core.setOutput('comment-url', published.commentUrl ?? '');

    if (cache && files.resultsPath && verdict !== 'error') {
      try {
        const saveKeys = baselineKeys({ project: results?.project ?? project, branch: ctx.branch, runId: `${actualId}-${ctx.attempt}` });
        core.info(`baseline saved under ${await saveBaseline(cache, saveKeys, files.resultsPath, resolve(ctx.workspace, '.vps-test/baseline/results.json'))}`);
      } catch (err) {
        core.warning(`baseline not saved: ${errorMessage(err)}`);
      }
    }

    const reasons = results?.reasons ?? state?.stages?.filter((s) => s.status === 'failed').map((s) => `${s.stage} failed: ${s.error ?? ''}`) ?? [];
    if (outcome.signal) core.setFailed(`vps-test run ${actualId} was killed by ${outcome.signal} before it finished; the post step tears down what it left`);
    else if (outcome.code === 130) core.setFailed(`vps-test run ${actualId} was interrupted; it tore its fleet down`);
    else if (verdict === 'fail' || verdict === 'error') core.setFailed(`vps-test ${verdict.toUpperCase()}: ${reasons.join('; ') || `exit ${outcome.code}`}`);
    else core.info(`vps-test ${verdict.toUpperCase()}${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
  } catch (err) {
    await fail(ctx, err instanceof InputError ? err.message : `vps-test action: ${errorMessage(err)}`);
  }
}

export { cliPath };
