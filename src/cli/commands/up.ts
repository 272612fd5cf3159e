import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { buildPlan } from '../../plan/plan.js';
import { resolveChoices } from '../../plan/choices.js';
import { newRunId, runsRoot } from '../../run/state.js';
import { consoleProgress } from '../../run/progress.js';
import { runPipeline } from '../../run/pipeline.js';
import { readFleet } from '../../providers/fleet-file.js';
import { providerFor } from '../../providers/index.js';
import { parseFlags } from '../args.js';
import { renderNodesTable } from './nodes.js';

const HELP = `Usage: vps-test up [CONFIG] [--json]

Brings up the fleet of a config (local lab: namespaces, NATs, an sshd per machine) and leaves it
running, without building or testing: the plan and provision stages of a run (vps-test run
--stages provision). Then: vps-test nodes, vps-test diagnose NODE, vps-test down.
Ctrl-C while it comes up removes everything it made.`;

export async function upCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'up');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const found = findConfig(positionals[0], { allowDefaultExample: true });
  const loaded = await loadConfig(found.path);
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const provider = providerFor(plan.provider); // refused before a run folder exists
  const runId = newRunId();
  const outcome = await runPipeline({
    provider,
    runId,
    runsRoot: runsRoot(),
    loaded,
    plan,
    stages: ['plan', 'provision'],
    keep: true,
    closingStages: ['teardown'], // a fleet that did not come up whole is removed; nothing to evaluate
    progress: consoleProgress(),
    cwd: process.cwd(),
  });
  if (outcome.exitCode !== 0) {
    for (const reason of outcome.reasons) console.error(`  - ${reason}`);
    return outcome.exitCode;
  }
  const fleet = await readFleet(outcome.runDir);
  console.log(values.json ? JSON.stringify({ runId, nodes: fleet.nodes }, null, 2) : `run ${runId}: fleet up\n${renderNodesTable(fleet.nodes.map((n) => ({ node: n })))}`);
  return 0;
}
