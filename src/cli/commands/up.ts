import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { buildPlan } from '../../plan/plan.js';
import { resolveChoices } from '../../plan/choices.js';
import { newRunId, runsRoot, RunStateFile } from '../../run/state.js';
import { consoleProgress } from '../../run/progress.js';
import { abortOnSignals } from '../../run/signals.js';
import { providerFor } from '../../providers/index.js';
import { parseFlags } from '../args.js';
import { renderNodesTable } from './nodes.js';

const HELP = `Usage: vps-test up [CONFIG] [--json]

Brings up the fleet of a config (local lab: namespaces, NATs, an sshd per machine) and leaves it
running, without building or testing. Then: vps-test nodes, vps-test diagnose NODE,
vps-test down. Ctrl-C while it comes up removes everything it made.`;

export async function upCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'up');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const found = findConfig(positionals[0], { allowDefaultExample: true });
  const loaded = await loadConfig(found.path);
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const provider = providerFor(plan.provider);
  const runId = newRunId();
  const state = RunStateFile.create(runsRoot(), { runId, configPath: loaded.file, project: loaded.project, provider: plan.provider, keep: true });
  const progress = consoleProgress();
  const signals = abortOnSignals((l) => progress.line(l));
  const run = { runId, runDir: state.dir, log: (l: string) => progress.line(l), signal: signals.signal };
  const record = state.begin('provision');
  progress.stage(`provision ${runId}`);
  const started = Date.now();
  state.update({ fleetUp: true });
  try {
    const fleet = await provider.provision(plan, run);
    state.end(record, 'done');
    progress.done('provision', Date.now() - started, `${fleet.nodes.length} nodes`);
    console.log(values.json ? JSON.stringify({ runId, nodes: fleet.nodes }, null, 2) : `run ${runId}: fleet up\n${renderNodesTable(fleet.nodes.map((n) => ({ node: n })))}`);
    return 0;
  } catch (err) {
    state.end(record, 'failed', (err as Error).message);
    progress.failed('provision', Date.now() - started, (err as Error).message);
    await provider.destroy({ runId, runDir: state.dir, log: run.log }); // not cut short by the Ctrl-C that got us here
    state.update({ fleetUp: false });
    return signals.received ? 130 : 2;
  } finally {
    signals.dispose();
  }
}
