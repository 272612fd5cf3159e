import { findRun, listRuns, pruneRegistry } from '../../run/state.js';
import { cloudView, renderCloudView, renderStatusTable, runStatus, formatAge } from '../../run/status.js';
import { listAllResources, providersToList } from '../../providers/index.js';
import { parseFlags, UsageError } from '../args.js';

const HELP = `Usage: vps-test status [RUN-ID] [--json]

Every run of this user (its run registry and ./.vps-test/runs): condition, current stage, age,
provider, nodes, whether its controller process is alive, fleet up or down, verdict, expiry.
  running    a controller is working on it
  orphaned   a stage was running when its controller died: vps-test run --resume RUN,
             vps-test stop RUN (evaluate, report, tear down) or vps-test down RUN
  fleet up   no stage running, the fleet is up (--keep, or --stages that end before teardown)
With RUN: that run's stages, one per line. Fleets on this machine that belong to no run of this
user are listed at the end, never touched.
The provider's view (with DIGITALOCEAN_TOKEN set, or when a run of this user is on DigitalOcean):
every droplet tagged vps-test by run, with its age, expiry (its vps-test-expires- tag) and cost
so far (the size's hourly price x age), also those of runs this machine has no state for (a
leak, another machine's run): vps-test down RUN removes them by the run's tag.`;

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'status');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = positionals[0];
  if (runId) return statusOfRun(runId, Boolean(values.json));
  const forgotten = pruneRegistry();
  const registered = listRuns();
  const { resources, problems } = await listAllResources(undefined, providersToList(process.env, registered.map((r) => r.state.provider)));
  // a cloud provider knows when a run's machines expire on their own (their TTL tag)
  const expiry = new Map(resources.filter((r) => r.expiresAt).map((r) => [r.runId, new Date(r.expiresAt as number).toISOString()]));
  const runs = registered.map((r) => runStatus(r)).map((r) => (r.expiresAt || !expiry.has(r.runId) ? r : { ...r, expiresAt: expiry.get(r.runId) as string }));
  const mine = new Set(runs.map((r) => r.runId));
  const others = [...new Set(resources.filter((r) => !mine.has(r.runId)).map((r) => `${r.runId} (${r.provider})`))];
  const cloud = cloudView(resources, mine);
  if (values.json) {
    console.log(JSON.stringify({ runs, others, cloud, problems }, null, 2));
    return 0;
  }
  if (!runs.length) console.log('no runs yet (vps-test run starts one)');
  else console.log(renderStatusTable(runs));
  const orphans = runs.filter((r) => r.condition === 'orphaned');
  if (orphans.length) console.log(`\n${orphans.length} orphaned (controller dead mid-stage): ${orphans.map((r) => `${r.runId} (${r.stage}, ${formatAge(r.ageSeconds)} old)`).join(', ')}`);
  if (cloud.length) console.log(`\n${renderCloudView(cloud)}`);
  const otherLabs = resources.filter((r) => !mine.has(r.runId) && r.provider === 'local').map((r) => r.runId);
  if (otherLabs.length) console.log(`\nother fleets on this machine (not this user's runs, not touched): ${[...new Set(otherLabs)].join(', ')}`);
  if (forgotten.length) console.log(`\nforgot ${forgotten.length} run${forgotten.length === 1 ? '' : 's'} whose run folder is gone: ${forgotten.join(', ')}`);
  for (const p of problems) console.error(`could not list ${p}`);
  return 0;
}

/** One run: its stages from its state, and its provider's view (also for a run with no state here). */
async function statusOfRun(runId: string, json: boolean): Promise<number> {
  const run = findRun(runId);
  const providers = providersToList(process.env, run ? [run.state.provider] : []);
  const cloudProviders = providers.filter((p) => p !== 'local');
  const listed = cloudProviders.length ? await listAllResources({ runId }, cloudProviders) : { resources: [], problems: [] };
  const cloud = cloudView(listed.resources, new Set(run ? [runId] : []));
  if (!run) {
    if (!cloud.length) {
      const hint = cloudProviders.length ? '' : ' (a DigitalOcean run from elsewhere: export DIGITALOCEAN_TOKEN to look it up by its tag)';
      for (const p of listed.problems) console.error(`could not list ${p}`);
      throw new UsageError(`status: no run '${runId}' here, in this user's run registry${cloudProviders.length ? ' or on DigitalOcean' : ''}${hint}`);
    }
    if (json) {
      console.log(JSON.stringify({ runId, known: false, cloud, problems: listed.problems }, null, 2));
      return 0;
    }
    console.log(`run ${runId}: no state on this machine (another machine's run, a lost CI job, or a leak)\n`);
    console.log(renderCloudView(cloud));
    console.log(`\nremove it: vps-test down ${runId} (by its tag; nothing of another run is touched)`);
    return 0;
  }
  const status = runStatus(run);
  if (json) {
    console.log(JSON.stringify({ ...status, stages: run.state.stages, unreachableSince: run.state.unreachable ?? [], ...(cloudProviders.length && { cloud }), ...(listed.problems.length && { problems: listed.problems }) }, null, 2));
    return 0;
  }
  console.log(renderStatusTable([status]));
  console.log(`\nrun folder: ${run.dir}`);
  for (const s of run.state.stages) console.log(`  ${s.stage.padEnd(9)} ${s.status.padEnd(7)} ${s.startedAt}${s.ms !== undefined ? ` ${(s.ms / 1000).toFixed(1)}s` : ''}${s.error ? `  ${s.error.split('\n')[0]}` : ''}`);
  for (const c of run.state.soak?.checkpoints ?? []) console.log(`  soak ${c.name.padEnd(5)} ${c.status.padEnd(7)} due ${c.dueAt}${c.verdict ? ` ${c.verdict}` : ''}`);
  for (const u of run.state.unreachable ?? []) console.log(`  node ${u.node} unreachable since ${u.since}: ${u.reason}`);
  if (cloud.length) console.log(`\n${renderCloudView(cloud)}`);
  else if (cloudProviders.length && !listed.problems.length && run.state.provider !== 'local') console.log(`\n${run.state.provider}: nothing of run ${runId} exists`);
  for (const p of listed.problems) console.error(`could not list ${p}`);
  if (status.condition === 'orphaned') console.log(`\nits controller (pid ${status.controller.pid}) is dead: vps-test run --resume ${runId} | vps-test stop ${runId} | vps-test down ${runId}`);
  return 0;
}
