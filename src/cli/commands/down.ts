import { findRun, listRuns, runsRoot, RunStateFile } from '../../run/state.js';
import { providerFor } from '../../providers/index.js';
import { LocalProvider } from '../../providers/local.js';
import { parseFlags, UsageError } from '../args.js';
import { join } from 'node:path';

const HELP = `Usage: vps-test down [RUN-ID] [--all]

Removes everything of a run: namespaces, processes, veths (local lab), droplets and keys
(cloud). Default: the newest run whose fleet is up. --all removes every run's fleet, including
labs whose state file is gone (found by their namespace prefix). Idempotent.`;

export async function downCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { all: { type: 'boolean' } }, 'down');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const log = (l: string) => console.error(`  ${l}`);
  if (values.all) {
    const ids = new Set<string>(listRuns().filter((r) => r.state.fleetUp).map((r) => r.state.runId));
    for (const lab of await new LocalProvider().list()) ids.add(lab.runId);
    if (ids.size === 0) console.log('nothing to remove: no fleet is up');
    for (const id of ids) await destroy(id, log);
    return 0;
  }
  const runId = positionals[0];
  const run = findRun(runId);
  if (!run && !runId) {
    console.log('nothing to remove: no fleet is up (vps-test down --all also looks for labs without a state file)');
    return 0;
  }
  if (!run && runId && !(await new LocalProvider().list({ runId })).length) throw new UsageError(`down: no run '${runId}' is known or up`);
  await destroy(run?.state.runId ?? (runId as string), log);
  return 0;
}

async function destroy(runId: string, log: (l: string) => void): Promise<void> {
  let run: RunStateFile | undefined;
  try {
    run = RunStateFile.load(join(runsRoot(), runId));
  } catch {
    run = undefined;
  }
  const provider = providerFor(run?.state.provider ?? 'local');
  await provider.destroy({ runId, runDir: run?.dir ?? join(runsRoot(), runId), log });
  run?.update({ fleetUp: false });
  console.log(`run ${runId}: down`);
}
