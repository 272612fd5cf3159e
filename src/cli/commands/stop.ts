import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRun, type RunStateFile, type Stage } from '../../run/state.js';
import { STOP_FILE } from '../../run/signals.js';
import { controllerLiveness } from '../../run/controller.js';
import { runPipeline } from '../../run/pipeline.js';
import { consoleProgress } from '../../run/progress.js';
import { stagesToResume } from '../../run/select.js';
import { cutSoakShort } from '../../run/soak-stage.js';
import { parseFlags, UsageError } from '../args.js';
import { destroyWithoutState } from './down.js';

const HELP = `Usage: vps-test stop RUN-ID [--timeout 10m]

Ends a run gracefully from any terminal. If its controller is alive, it is asked to stop: it
ends the current stage, collects the nodes' logs, evaluates what was measured, reports and
tears down; stop waits for that and prints the outcome. If the controller is dead (the run is
orphaned), stop evaluates, reports and tears down itself. A run this machine has no state for
(a DigitalOcean run of another machine) has nothing to evaluate here: its droplets and SSH key
are removed by its tag, as vps-test down RUN does. Exit code: the run's.`;

export async function stopCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { timeout: { type: 'string' } }, 'stop');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = positionals[0];
  if (!runId) throw new UsageError('stop: which run? (vps-test stop RUN-ID; see vps-test status)');
  const timeoutMs = parseTimeout(values.timeout ?? '10m');
  const run = findRun(runId);
  if (!run) {
    // no state here: nothing to ask, evaluate or report; what the providers hold under its id goes
    console.error(`run ${runId}: no state on this machine; removing what its provider holds under its id`);
    await destroyWithoutState(runId, 'stop', (l) => console.error(`  ${l}`));
    return 0;
  }
  const liveness = controllerLiveness(run.state.controller);
  const running = run.current()?.status === 'running';
  if (liveness === 'elsewhere') throw new UsageError(`stop: run ${runId} is driven from host ${run.state.controller?.host}; stop it there`);
  if (liveness === 'alive' && run.state.controller && run.state.controller.pid !== process.pid) return stopLive(run, timeoutMs);
  if (!running && !run.state.fleetUp) {
    console.log(`run ${runId}: not running (${run.state.verdict ? `finished: ${run.state.verdict}` : 'ended'}; fleet down)`);
    return run.state.exitCode ?? 0;
  }
  return finishOrphan(run);
}

async function stopLive(run: RunStateFile, timeoutMs: number): Promise<number> {
  const { runId } = run.state;
  const pid = run.state.controller!.pid;
  writeFileSync(join(run.dir, STOP_FILE), `${new Date().toISOString()} ${process.pid}\n`);
  process.kill(pid, 'SIGTERM');
  console.error(`run ${runId}: asked controller ${pid} to stop; waiting for it to evaluate, report and tear down`);
  const deadline = Date.now() + timeoutMs;
  while (controllerLiveness(run.state.controller) === 'alive') {
    if (Date.now() > deadline) {
      console.error(`run ${runId}: controller ${pid} still running after ${timeoutMs / 1000}s (vps-test status ${runId})`);
      return 2;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const after = findRun(runId) ?? run;
  console.log(`vps-test stop ${runId}: ${after.state.verdict ? after.state.verdict.toUpperCase() : 'stopped'}; fleet ${after.state.fleetUp ? 'still up' : 'down'}`);
  console.log(`  report: ${after.dir}/report.md`);
  return after.state.exitCode ?? 2;
}

/** The controller died: this process evaluates what was measured, reports and tears down. */
async function finishOrphan(run: RunStateFile): Promise<number> {
  const { runId } = run.state;
  const left = stagesToResume(run.state);
  const dead = run.current();
  const testUnfinished = left.some((s) => s === 'test' || s === 'deploy' || s === 'provision' || s === 'build');
  const stages = left.filter((s): s is Stage => s === 'evaluate' || s === 'report' || s === 'teardown');
  if (!stages.includes('teardown')) stages.push('teardown');
  cutSoakShort(run, 'stopped by vps-test stop after the controller died');
  console.error(`run ${runId}: its controller${run.state.controller ? ` (pid ${run.state.controller.pid})` : ''} is gone; ${stages.join(', ')} here`);
  const outcome = await runPipeline({
    runId,
    existing: run,
    stages,
    progress: consoleProgress(),
    ...(testUnfinished && { stageError: `stopped by vps-test stop after the controller died during ${dead?.stage ?? 'an earlier stage'}` }),
  });
  console.log(`vps-test stop ${runId}: ${outcome.verdict ? outcome.verdict.toUpperCase() : 'stopped'}; fleet ${findRun(runId)?.state.fleetUp ? 'still up' : 'down'}`);
  for (const reason of outcome.reasons) console.log(`  - ${reason}`);
  return outcome.exitCode;
}

function parseTimeout(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m) throw new UsageError(`--timeout ${text}: expected a duration such as 90s, 10m or 1h`);
  return Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h']);
}
