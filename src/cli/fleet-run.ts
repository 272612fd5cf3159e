// Finding the run a fleet command means, and its recorded fleet.
import { findRun, runsRoot, type RunStateFile } from '../run/state.js';
import { readFleet } from '../providers/fleet-file.js';
import type { Fleet } from '../fleet/types.js';
import { UsageError } from './args.js';

export async function fleetOfRun(runId: string | undefined, command: string): Promise<{ run: RunStateFile; fleet: Fleet }> {
  const run = findRun(runId, runsRoot());
  if (!run) {
    throw new UsageError(
      runId ? `${command}: no run '${runId}' under ${runsRoot()}` : `${command}: no fleet is up (start one with \`vps-test up\` or \`vps-test run --keep\`)`,
    );
  }
  if (!run.state.fleetUp) throw new UsageError(`${command}: run ${run.state.runId} has no fleet up (it was torn down)`);
  return { run, fleet: await readFleet(run.dir) };
}
