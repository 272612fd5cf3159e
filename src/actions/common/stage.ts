// The stage actions (actions/<stage>/action.yml): one pipeline stage per step, so users compose
// their own jobs (docs/architecture.md "Stages as units"). The run moves between jobs by run id
// and a run-state artifact without secrets; SSH keys come from the ssh-secret input
// (VPS_TEST_SSH_SECRET), never from an artifact.
import * as core from '@actions/core';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from '../../report/sinks/github-client.js';
import { stateArtifactName, stateArtifactPrefix, stateFiles } from '../../report/sinks/run-state-artifact.js';
import { readInputs, InputError } from './inputs.js';
import { jobContext } from './context.js';
import { configFacts } from './config-facts.js';
import { childEnv, cliHasCommand, cliPath, detectPrivilege, downArgv, elevated, hasRunDir, JANITOR_ARGV, newActionRunId, noPrivilegeMessage, runArgv, runCli, registryOf, runsRootOf, supportedRunFlags, type Privilege } from './cli.js';
import { readJson, runFiles, type ResultsView } from './run-outputs.js';
import { publishRun } from './publish.js';
import { stateStore } from './clients.js';

export const STAGE_ACTIONS = ['build', 'provision', 'deploy', 'test', 'soak', 'report', 'teardown', 'janitor'] as const;
export type StageAction = (typeof STAGE_ACTIONS)[number];

/** The CLI stages each stage action runs (`vps-test run --stages ...`). */
export const CLI_STAGES: Record<Exclude<StageAction, 'teardown' | 'janitor'>, string[]> = {
  build: ['build'],
  provision: ['provision'],
  deploy: ['deploy'],
  test: ['test', 'evaluate'],
  // one soak checkpoint (or a range) per job, then evaluate what the soak has so far
  soak: ['soak', 'evaluate'],
  report: ['report'],
};

function exec(p: Privilege, argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [cmd, ...args] = elevated(p, [process.execPath, cliPath(), ...argv]);
  return new Promise((res) => execFile(cmd as string, args, { cwd, env, timeout: 3_600_000 }, (err, out, errOut) => {
    if (`${out}${errOut}`.trim()) core.info(`${out}${errOut}`.trim());
    res(err ? `vps-test ${argv.join(' ')} failed: ${(errOut || err.message).trim().split('\n').slice(-5).join('\n')}` : undefined);
  }));
}

export async function stageMain(): Promise<void> {
  try {
    const stage = core.getInput('stage', { required: true }) as StageAction;
    if (!STAGE_ACTIONS.includes(stage)) throw new InputError(`input stage: "${stage}" is not one of ${STAGE_ACTIONS.join(', ')}`);
    const inputs = readInputs((n) => core.getInput(n));
    const sshSecret = core.getInput('ssh-secret');
    for (const secret of [inputs.githubToken, inputs.digitaloceanToken, sshSecret]) if (secret) core.setSecret(secret);
    const ctx = jobContext();
    const runsRoot = runsRootOf(ctx.workspace);
    const givenId = core.getInput('run-id').trim();
    if (!givenId && stage !== 'build' && stage !== 'provision' && stage !== 'janitor') throw new InputError(`input run-id: the ${stage} action needs the run id (the run-id output of the build or provision step)`);
    const runId = givenId || newActionRunId();
    const runDir = join(runsRoot, runId);
    const store = await stateStore();
    if (givenId && !hasRunDir(runsRoot, runId) && store) {
      const got = await store.downloadLatest(stateArtifactPrefix(runId), runDir);
      core.info(got ? `run ${runId}: state restored from artifact ${got}` : `run ${runId}: no state artifact found in this workflow run`);
    }

    const configPath = resolve(ctx.workspace, inputs.config);
    const facts = configFacts(existsSync(configPath) ? configPath : undefined, 'lab-nat-matrix');
    const privilege = await detectPrivilege();
    if (facts.provider === 'local' && privilege.mode === 'none') return core.setFailed(noPrivilegeMessage(privilege));
    if (privilege.mode === 'sudo') core.info(`vps-test ${stage}: the CLI runs as root (under sudo -E): this runner is user ${process.env.USER ?? process.getuid?.()}`);
    const env = childEnv(process.env, { DIGITALOCEAN_TOKEN: inputs.digitaloceanToken, VPS_TEST_SSH_SECRET: sshSecret, VPS_TEST_STATE_DIR: registryOf(runsRoot) });
    core.setOutput('run-id', runId);

    if (stage === 'teardown') {
      if (!hasRunDir(runsRoot, runId)) return core.setFailed(`teardown: nothing is known about run ${runId} here (no state folder and no state artifact); it may need the janitor`);
      const problem = await exec(privilege, downArgv(runId), ctx.workspace, env);
      if (problem) return core.setFailed(problem);
    } else if (stage === 'janitor') {
      if (!(await cliHasCommand(process.execPath, 'janitor'))) return core.setFailed('janitor: this vps-test CLI has no `janitor` command yet; nothing was swept');
      const problem = await exec(privilege, JANITOR_ARGV, ctx.workspace, env);
      if (problem) return core.setFailed(problem);
      return;
    } else {
      const supported = await supportedRunFlags(process.execPath);
      const existing = hasRunDir(runsRoot, runId);
      const soakUntil = stage === 'soak' ? core.getInput('checkpoint').trim() || 'next' : undefined;
      const args = runArgv({ ...(existsSync(configPath) && { config: configPath }), runId, stages: CLI_STAGES[stage], ...(existing && { run: runId }), ...(soakUntil && { soakUntil }), keep: true, branch: ctx.branch, ...(ctx.prNumber !== undefined && { pr: ctx.prNumber }), choices: inputs.choices }, supported);
      const outcome = await runCli(privilege, process.execPath, args, { cwd: ctx.workspace, env });
      const files = runFiles(runDir);
      // the plan's soak checkpoints, for a workflow's matrix of one job per checkpoint (soak.yml)
      const plan = existsSync(join(runDir, 'plan.json')) ? readJson<{ soak?: { checkpoints: { name: string }[] } }>(join(runDir, 'plan.json')) : undefined;
      if (plan) core.setOutput('soak-checkpoints', JSON.stringify(plan.soak?.checkpoints.map((c) => c.name) ?? []));
      const results = files.resultsPath ? readJson<ResultsView>(files.resultsPath) : undefined;
      if (results) core.setOutput('verdict', results.verdict);
      if (stage === 'report') {
        const published = await publishRun({ inputs, ctx, files, runId, log: { info: core.info, warning: core.warning } });
        core.setOutput('comment-url', published.commentUrl ?? '');
        core.setOutput('report-path', files.reportPath ?? '');
        if (results && (results.verdict === 'fail' || results.verdict === 'error')) core.setFailed(`vps-test ${results.verdict.toUpperCase()}: ${results.reasons.join('; ')}`);
      }
      if (outcome.code !== 0 && stage !== 'report') core.setFailed(`vps-test ${stage} failed (exit ${outcome.code ?? outcome.signal}); see the log above`);
    }
    if (store && hasRunDir(runsRoot, runId)) {
      // artifact names are immutable in a workflow run: the soak's jobs (a matrix, one attempt) each need their own
      const name = stateArtifactName(runId, stage === 'soak' ? `soak-${Date.now().toString(36)}` : stage, ctx.attempt);
      await store.upload(name, await stateFiles(runDir), runDir);
      core.info(`run ${runId}: state saved as artifact ${name} (no keys)`);
    }
  } catch (err) {
    core.setFailed(err instanceof InputError ? err.message : `vps-test ${core.getInput('stage')}: ${errorMessage(err)}`);
  }
}
