import { findRun, listRuns, type RunStateFile } from '../../run/state.js';
import { listAllResources, providerFor } from '../../providers/index.js';
import { parseFlags, UsageError } from '../args.js';

const HELP = `Usage: vps-test down [RUN-ID] [--all]

Removes everything of a run: namespaces, processes, veths (local lab), droplets (cloud) and the
run's SSH keys, and records that its fleet is down. The run is found by id from any directory
(this user's run registry). Default: the newest run whose fleet is up.
--all removes the fleets of this user's runs only; labs and droplets of other users or
checkouts are listed, never touched (remove one explicitly with vps-test down ID). Idempotent.`;

export async function downCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { all: { type: 'boolean' } }, 'down');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const log = (l: string) => console.error(`  ${l}`);
  if (values.all) {
    const mine = listRuns();
    const up = mine.filter((r) => r.state.fleetUp);
    const { resources, problems } = await listAllResources();
    const known = new Set(mine.map((r) => r.state.runId));
    // a run of ours whose state says down but whose resources still exist (a crashed teardown)
    for (const r of resources) {
      const run = mine.find((m) => m.state.runId === r.runId);
      if (run && !up.includes(run)) up.push(run);
    }
    if (up.length === 0) console.log('nothing to remove: no fleet of this user is up');
    for (const run of up) await destroy(run.state.runId, run, log);
    const others = [...new Set(resources.filter((r) => !known.has(r.runId)).map((r) => `${r.runId} (${r.provider})`))];
    if (others.length) console.log(`not touched: ${others.length} fleet${others.length === 1 ? '' : 's'} of other users or checkouts: ${others.join(', ')}`);
    for (const p of problems) console.error(`  could not list ${p}`);
    return 0;
  }
  const runId = positionals[0];
  const run = findRun(runId);
  if (!run && !runId) {
    console.log('nothing to remove: no fleet is up (vps-test status lists this user\'s runs)');
    return 0;
  }
  if (!run && runId) {
    // no state anywhere: only a lab with that exact id, named explicitly, is removed
    const { resources } = await listAllResources({ runId });
    if (!resources.length) throw new UsageError(`down: no run '${runId}' is known or up (vps-test status lists this user's runs)`);
    for (const provider of new Set(resources.map((r) => r.provider))) await providerFor(provider).destroy({ runId, runDir: '', log });
    console.log(`run ${runId}: down (it had no run folder)`);
    return 0;
  }
  await destroy((run as RunStateFile).state.runId, run as RunStateFile, log);
  return 0;
}

async function destroy(runId: string, run: RunStateFile, log: (l: string) => void): Promise<void> {
  const provider = providerFor(run.state.provider);
  await provider.destroy({ runId, runDir: run.dir, log });
  run.update({ fleetUp: false });
  console.log(`run ${runId}: down${run.writeError ? ` (but its state file could not be updated: ${run.writeError.message})` : ''}`);
}
