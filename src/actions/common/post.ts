// The root action's post step: tears down whatever its main step created, also when main failed
// or the job was cancelled (the runner runs post steps then too). A CLI the main step started
// and that still runs (main was killed) gets SIGINT first, so it tears down its own fleet; then
// `vps-test down` removes anything left. Idempotent: a run already down is left alone.
import * as core from '@actions/core';
import { execFile } from 'node:child_process';
import { downArgv, elevated, processAlive, signalProcess, cliPath, childEnv, registryOf, type Privilege } from './cli.js';
import { readState, runsCreatedSince } from './run-outputs.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stopOrphan(p: Privilege, pid: number): Promise<void> {
  if (!processAlive(pid)) return;
  core.info(`vps-test (pid ${pid}) still runs: sending SIGINT so it tears down`);
  signalProcess(p, pid, 'SIGINT');
  for (let i = 0; i < 1200 && processAlive(pid); i++) await sleep(100);
  if (processAlive(pid)) {
    core.warning(`vps-test (pid ${pid}) did not stop within 120 s: killing it`);
    signalProcess(p, pid, 'SIGKILL');
  }
}

function down(p: Privilege, runId: string, root: string): Promise<string | undefined> {
  const [cmd, ...args] = elevated(p, [process.execPath, cliPath(), ...downArgv(runId)]);
  return new Promise((res) => execFile(cmd as string, args, { cwd: join(root, '..', '..'), env: childEnv(process.env, { VPS_TEST_STATE_DIR: registryOf(root) }), timeout: 600_000 }, (err, out, errOut) => {
    if (`${out}${errOut}`.trim()) core.info(`${out}${errOut}`.trim());
    res(err ? `vps-test down ${runId} failed: ${(errOut || err.message).trim()}` : undefined);
  }));
}

export async function rootPost(): Promise<void> {
  const root = core.getState('runsRoot');
  if (!root) return core.info('nothing to tear down: the main step did not get as far as starting a run');
  const p: Privilege = { mode: (core.getState('privilege') || 'root') as Privilege['mode'] };
  const pid = Number(core.getState('cliPid'));
  if (pid > 0) await stopOrphan(p, pid);
  const known = core.getState('runId');
  const runs = known ? [known] : runsCreatedSince(root, Number(core.getState('startedAt')) || Date.now()).map((r) => r.runId);
  const keep = core.getState('keep') === 'true';
  const problems: string[] = [];
  for (const runId of runs) {
    const state = readState(join(root, runId));
    if (!state && !existsSync(join(root, runId))) {
      core.info(`run ${runId}: never started (no run folder), nothing to tear down`);
      continue;
    }
    if (state && !state.fleetUp) {
      core.info(`run ${runId}: already torn down`);
      continue;
    }
    if (keep && state?.exitCode !== undefined) {
      core.info(`run ${runId}: keep is true, the fleet stays up (vps-test down ${runId} removes it)`);
      continue;
    }
    const problem = await down(p, runId, root);
    if (problem) problems.push(problem);
    else core.info(`run ${runId}: torn down`);
  }
  if (problems.length) core.setFailed(problems.join('\n'));
}
