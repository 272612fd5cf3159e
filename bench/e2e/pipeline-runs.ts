// One end-to-end `vps-test run --yes` of the default example, as a user runs it: the real CLI in
// its own process, in a fresh working directory (so the run lands there), timed from spawn to
// exit; stage times come from the run's state.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunState, Stage } from '../../src/run/state.js';
import type { PlannedPair } from '../../src/plan/types.js';
import { tallyAttempts, type Tally } from './stats.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** What the README's `npx vps-test run` starts: the bundled CLI (dist/cli.js), no TypeScript loader. */
const CLI = path.join(REPO, 'bin', 'vps-test.js');
/** tsx's loader by absolute URL: the child runs in a temp dir where `tsx` would not resolve. */
const TSX_LOADER = import.meta.resolve('tsx');

export interface PipelineRun {
  runId: string;
  wallMs: number;
  exitCode: number | null;
  verdict: string | undefined;
  stages: Partial<Record<Stage, number>>;
  failedStages: string[];
  tally: Tally;
  logPath: string;
}

export interface RunHooks {
  /** The child while it runs, so a Ctrl-C can be forwarded to it. */
  onChild?: (child: ChildProcess | undefined) => void;
  /** Another checkout's CLI (e.g. the main branch, for a before/after in the same session): its bin/vps-test.js, or a .ts entry run through tsx. */
  cli?: string;
}

/** Runs the CLI once in `workdir` (must hold no other run) and reads what it recorded. */
export async function runPipelineOnce(workdir: string, pairs: readonly PlannedPair[], hooks: RunHooks = {}): Promise<PipelineRun> {
  const logPath = path.join(workdir, 'cli.log');
  const log = createWriteStream(logPath);
  const started = performance.now();
  const cli = hooks.cli ?? CLI;
  const node = cli.endsWith('.ts') ? ['--import', TSX_LOADER, cli] : [cli];
  const child = spawn(process.execPath, [...node, 'run', '--yes'], { cwd: workdir, stdio: ['ignore', 'pipe', 'pipe'] });
  hooks.onChild?.(child);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? null : 0)));
  });
  const wallMs = performance.now() - started;
  hooks.onChild?.(undefined);
  await new Promise<void>((resolve) => log.end(resolve));

  const runsDir = path.join(workdir, '.vps-test', 'runs');
  const ids = await readdir(runsDir).catch(() => [] as string[]);
  if (ids.length !== 1) throw new Error(`expected one run in ${runsDir}, found ${ids.length} (CLI exit ${exitCode}; log ${logPath})`);
  const runDir = path.join(runsDir, ids[0] as string);
  const state = JSON.parse(await readFile(path.join(runDir, 'state.json'), 'utf8')) as RunState;
  const stages: Partial<Record<Stage, number>> = {};
  for (const s of state.stages) if (s.ms !== undefined) stages[s.stage] = s.ms;
  const events = await readFile(path.join(runDir, 'results.jsonl'), 'utf8').catch(() => '');
  return {
    runId: state.runId,
    wallMs,
    exitCode,
    verdict: state.verdict,
    stages,
    failedStages: state.stages.filter((s) => s.status !== 'done').map((s) => `${s.stage}: ${s.status}${s.error ? ` (${s.error})` : ''}`),
    tally: tallyAttempts(events, pairs),
    logPath,
  };
}
