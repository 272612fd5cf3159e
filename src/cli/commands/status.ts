import { findRun, listRuns } from '../../run/state.js';
import { renderStatusTable, runStatus, formatAge } from '../../run/status.js';
import { listAllResources } from '../../providers/index.js';
import { parseFlags, UsageError } from '../args.js';

const HELP = `Usage: vps-test status [RUN-ID] [--json]

Every run of this user (its run registry and ./.vps-test/runs): condition, current stage, age,
provider, nodes, whether its controller process is alive, fleet up or down, verdict, expiry.
  running    a controller is working on it
  orphaned   a stage was running when its controller died: vps-test run --resume RUN,
             vps-test stop RUN (evaluate, report, tear down) or vps-test down RUN
  fleet up   no stage running, the fleet is up (--keep, or --stages that end before teardown)
With RUN: that run's stages, one per line. Fleets on this machine that belong to no run of this
user are listed at the end, never touched.`;

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'status');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = positionals[0];
  if (runId) {
    const run = findRun(runId);
    if (!run) throw new UsageError(`status: no run '${runId}' here or in this user's run registry`);
    const status = runStatus(run);
    if (values.json) {
      console.log(JSON.stringify({ ...status, stages: run.state.stages, unreachableSince: run.state.unreachable ?? [] }, null, 2));
      return 0;
    }
    console.log(renderStatusTable([status]));
    console.log(`\nrun folder: ${run.dir}`);
    for (const s of run.state.stages) console.log(`  ${s.stage.padEnd(9)} ${s.status.padEnd(7)} ${s.startedAt}${s.ms !== undefined ? ` ${(s.ms / 1000).toFixed(1)}s` : ''}${s.error ? `  ${s.error.split('\n')[0]}` : ''}`);
    for (const u of run.state.unreachable ?? []) console.log(`  node ${u.node} unreachable since ${u.since}: ${u.reason}`);
    if (status.condition === 'orphaned') console.log(`\nits controller (pid ${status.controller.pid}) is dead: vps-test run --resume ${runId} | vps-test stop ${runId} | vps-test down ${runId}`);
    return 0;
  }
  const runs = listRuns().map((r) => runStatus(r));
  const { resources, problems } = await listAllResources();
  const mine = new Set(runs.map((r) => r.runId));
  const others = [...new Set(resources.filter((r) => !mine.has(r.runId)).map((r) => `${r.runId} (${r.provider})`))];
  if (values.json) {
    console.log(JSON.stringify({ runs, others, problems }, null, 2));
    return 0;
  }
  if (!runs.length) console.log('no runs yet (vps-test run starts one)');
  else console.log(renderStatusTable(runs));
  const orphans = runs.filter((r) => r.condition === 'orphaned');
  if (orphans.length) console.log(`\n${orphans.length} orphaned (controller dead mid-stage): ${orphans.map((r) => `${r.runId} (${r.stage}, ${formatAge(r.ageSeconds)} old)`).join(', ')}`);
  if (others.length) console.log(`\nother fleets on this machine (not this user's runs, not touched): ${others.join(', ')}`);
  for (const p of problems) console.error(`could not list ${p}`);
  return 0;
}
