import { findRun, listRuns, type RunStateFile } from '../../run/state.js';
import { listAllResources, providerFor, providersToList } from '../../providers/index.js';
import { collectLogsBeforeDown, killOrphanedChildren } from '../../run/steps.js';
import { parseFlags, UsageError } from '../args.js';

const HELP = `Usage: vps-test down [RUN-ID] [--all] [--no-logs]

Removes everything of a run: namespaces, processes, veths (local lab), droplets (cloud) and the
run's SSH keys, and records that its fleet is down. The run is found by id from any directory
(this user's run registry). Default: the newest run whose fleet is up. A DigitalOcean run this
machine has no state for (another machine's, a controller that died before writing any) is
removed by its tag vps-test-run-RUN and its SSH key by name (needs DIGITALOCEAN_TOKEN); what
belongs to any other run is never touched, and nothing tagged with the run may remain.
--all removes the fleets of this user's runs only; labs and droplets of other users or
checkouts are listed, never touched (remove one explicitly with vps-test down ID). Idempotent.
A fleet that is still up (kept with --keep, or its controller died) has its nodes' logs and
units' journal collected into <run folder>/logs/ first; --no-logs skips that.`;

export async function downCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { all: { type: 'boolean' }, 'no-logs': { type: 'boolean' } }, 'down');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const log = (l: string) => console.error(`  ${l}`);
  if (values.all) {
    const mine = listRuns();
    const up = mine.filter((r) => r.state.fleetUp);
    const { resources, problems } = await listAllResources(undefined, providersToList(process.env, mine.map((r) => r.state.provider)));
    const known = new Set(mine.map((r) => r.state.runId));
    // a run of ours whose state says down but whose resources still exist (a crashed teardown)
    for (const r of resources) {
      const run = mine.find((m) => m.state.runId === r.runId);
      if (run && !up.includes(run)) up.push(run);
    }
    if (up.length === 0) console.log('nothing to remove: no fleet of this user is up');
    for (const run of up) await destroy(run.state.runId, run, log, !values['no-logs']);
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
    await destroyWithoutState(runId, 'down', log);
    return 0;
  }
  await destroy((run as RunStateFile).state.runId, run as RunStateFile, log, !values['no-logs']);
  return 0;
}

async function destroy(runId: string, run: RunStateFile, log: (l: string) => void, logs: boolean): Promise<void> {
  killOrphanedChildren(run, log); // e.g. a build whose controller was killed with -9
  if (logs) await collectLogsBeforeDown(run, log).catch((err: Error) => log(`logs not collected: ${err.message}`));
  const provider = providerFor(run.state.provider);
  await provider.destroy({ runId, runDir: run.dir, log });
  run.update({ fleetUp: false });
  console.log(`run ${runId}: down${run.writeError ? ` (but its state file could not be updated: ${run.writeError.message})` : ''}`);
}

/**
 * A run with no state anywhere here: only what the providers list under that exact id (a lab
 * with that id, droplets with its run tag, keys with its name) is removed.
 */
export async function destroyWithoutState(runId: string, command: string, log: (l: string) => void): Promise<void> {
  const providers = providersToList();
  const { resources, problems } = await listAllResources({ runId }, providers);
  for (const p of problems) console.error(`  could not list ${p}`);
  if (!resources.length) {
    const hint = providers.includes('digitalocean') ? '' : '; a DigitalOcean run from elsewhere is found by its tag with DIGITALOCEAN_TOKEN set';
    throw new UsageError(`${command}: no run '${runId}' is known or up (vps-test status lists this user's runs${hint})`);
  }
  for (const provider of new Set(resources.map((r) => r.provider))) {
    const what = resources.filter((r) => r.provider === provider).flatMap((r) => r.resources);
    log(`${provider}: run ${runId} has no run folder here; removing ${what.length} resource(s) listed under its id`);
    await providerFor(provider).destroy({ runId, runDir: '', log });
  }
  console.log(`run ${runId}: down (it had no run folder here)`);
}
