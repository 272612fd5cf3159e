// The default example run N times (optionally P at once on this machine), counting the runs
// whose NAT matrix is right: every planned attempt reported, ok, and on the path the oracle
// (docs/architecture.md ("The NAT oracle") table, via the plan) expects. Stage times: medians over the runs.
// Run: npx tsx bench/e2e/repeat.ts [--runs 20] [--parallel 1] [--cli <other checkout>/src/cli/index.ts]
//      [--section "e2e repeat"]   (writes that section of bench/RESULTS.md when given)
//      --compare <other checkout>/src/cli/index.ts: alternates runs of that CLI (before) and
//      this one (after), so both see the same machine load; one table with both medians.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_EXAMPLE } from '../../src/config/find.js';
import { destroyLab } from '../../src/lab/lab.js';
import { runIdOfNamespace } from '../../src/lab/names.js';
import { buildPlan } from '../../src/plan/plan.js';
import { resolveChoices } from '../../src/plan/choices.js';
import { STAGES } from '../../src/run/state.js';
import { updateSection } from '../deploy/results-file.js';
import { runPipelineOnce, type PipelineRun } from './pipeline-runs.js';
import { matrixCorrect, seconds, spread } from './stats.js';

const execFileP = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => console.error(`[repeat] ${line}`);

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '1' },
    cli: { type: 'string' },
    compare: { type: 'string' },
    section: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const PARALLEL = Number(values.parallel);
if (!Number.isInteger(RUNS) || RUNS < 1 || !Number.isInteger(PARALLEL) || PARALLEL < 1) throw new Error('--runs and --parallel must be positive integers');

async function leftoverNamespaces(runIds: Set<string>): Promise<string[]> {
  const { stdout } = await execFileP('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((ns) => ns && runIds.has(runIdOfNamespace(ns) ?? ''));
}

async function main(): Promise<void> {
  if (values.compare) return compare(values.compare);
  const loaded = await loadConfig(path.join(REPO, DEFAULT_EXAMPLE));
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const suite = plan.suites.find((s) => s.name === 'connectivity');
  if (!suite) throw new Error(`${DEFAULT_EXAMPLE} plans no connectivity suite`);
  const expectedAttempts = suite.pairs.length * suite.trials;
  const root = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-repeat-'));
  const runs: PipelineRun[] = [];
  const errors: string[] = [];
  const loadAtStart = os.loadavg();
  let next = 1;
  const worker = async () => {
    while (next <= RUNS) {
      const k = next++;
      const workdir = path.join(root, `run-${k}`);
      await mkdir(workdir);
      try {
        const run = await runPipelineOnce(workdir, suite.pairs, values.cli ? { cli: values.cli } : {});
        runs.push(run);
        const ok = matrixCorrect(run, expectedAttempts);
        log(`run ${k}: ${run.verdict ?? 'no verdict'} exit ${run.exitCode} in ${seconds(run.wallMs)}, test ${seconds(run.stages.test ?? 0)}, ${run.tally.onExpectedPath}/${expectedAttempts} on the expected path${ok ? '' : ` MATRIX WRONG (log ${run.logPath})`}`);
      } catch (err) {
        errors.push(`run ${k}: ${(err as Error).message}`);
        log(`run ${k}: ${(err as Error).message}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  } finally {
    const ids = new Set(runs.map((r) => r.runId));
    for (const dir of await readdir(root).catch(() => [] as string[])) for (const id of await readdir(path.join(root, dir, '.vps-test', 'runs')).catch(() => [] as string[])) ids.add(id);
    const left = await leftoverNamespaces(ids);
    if (left.length) {
      log(`LEAK: ${left.join(', ')}; removing`);
      for (const id of ids) await destroyLab(id).catch(() => undefined);
    }
  }
  const correct = runs.filter((r) => matrixCorrect(r, expectedAttempts));
  const lines = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/repeat.ts --runs ${RUNS} --parallel ${PARALLEL}${values.cli ? ` --cli ${values.cli}` : ''}\`. ` +
      `Machine: ${os.cpus().length} CPUs, load average ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')} at start, ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} at end (shared with other engineers' work).`,
    '',
    `**Matrix right in ${correct.length} of ${RUNS} runs** (${PARALLEL} at a time): every one of the ${expectedAttempts} planned attempts reported, ok, on the oracle's path.${errors.length ? ` Errors: ${errors.join('; ')}.` : ''}`,
    '',
    '| stage | median | min | max |',
    '| --- | --- | --- | --- |',
  ];
  for (const stage of STAGES) {
    const xs = runs.map((r) => r.stages[stage]).filter((x): x is number => x !== undefined);
    if (xs.length) {
      const s = spread(xs);
      lines.push(`| ${stage} | ${seconds(s.median)} | ${seconds(s.min)} | ${seconds(s.max)} |`);
    }
  }
  const wall = spread(runs.map((r) => r.wallMs));
  lines.push(`| **wall** (CLI start to exit) | **${seconds(wall.median)}** | ${seconds(wall.min)} | ${seconds(wall.max)} |`);
  lines.push('', `All runs, wall s: ${runs.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}.`);
  const wrong = runs.filter((r) => !matrixCorrect(r, expectedAttempts));
  if (wrong.length) lines.push('', `Wrong: ${wrong.map((r) => `${r.runId} (exit ${r.exitCode}, ${r.tally.ok}/${r.tally.attempts} ok, ${r.tally.onExpectedPath} on path)`).join('; ')}.`);
  const text = lines.join('\n');
  console.log(text);
  if (values.section) await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), values.section, text);
  if (!wrong.length && !errors.length) await rm(root, { recursive: true, force: true });
  else log(`kept ${root} for diagnosis`);
  process.exitCode = correct.length === RUNS ? 0 : 1;
}

/** Alternating before/after runs, one at a time; a table of both medians per stage. */
async function compare(beforeCli: string): Promise<void> {
  const loaded = await loadConfig(path.join(REPO, DEFAULT_EXAMPLE));
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const suite = plan.suites.find((s) => s.name === 'connectivity');
  if (!suite) throw new Error(`${DEFAULT_EXAMPLE} plans no connectivity suite`);
  const expectedAttempts = suite.pairs.length * suite.trials;
  const root = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-compare-'));
  const runs: Record<'before' | 'after', PipelineRun[]> = { before: [], after: [] };
  const loadAtStart = os.loadavg();
  try {
    for (let k = 1; k <= RUNS; k++) {
      for (const side of ['before', 'after'] as const) {
        const workdir = path.join(root, `${side}-${k}`);
        await mkdir(workdir);
        const run = await runPipelineOnce(workdir, suite.pairs, side === 'before' ? { cli: beforeCli } : {});
        runs[side].push(run);
        log(`${side} ${k}: ${run.verdict} in ${seconds(run.wallMs)}, test ${seconds(run.stages.test ?? 0)}, matrix ${matrixCorrect(run, expectedAttempts) ? 'right' : 'WRONG'}`);
      }
    }
  } finally {
    const ids = new Set([...runs.before, ...runs.after].map((r) => r.runId));
    if ((await leftoverNamespaces(ids)).length) for (const id of ids) await destroyLab(id).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
  const med = (side: 'before' | 'after', f: (r: PipelineRun) => number | undefined) => {
    const xs = runs[side].map(f).filter((x): x is number => x !== undefined);
    return xs.length ? seconds(spread(xs).median) : '-';
  };
  const right = (side: 'before' | 'after') => runs[side].filter((r) => matrixCorrect(r, expectedAttempts)).length;
  const lines = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/repeat.ts --runs ${RUNS} --compare ${beforeCli}\`: ${RUNS} runs each, alternating before/after so both see the same load. ` +
      `Machine: ${os.cpus().length} CPUs, load average ${loadAtStart.map((x) => x.toFixed(1)).join(' / ')} at start, ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at end (shared).`,
    '',
    `| stage (median of ${RUNS}) | before | after |`,
    '| --- | --- | --- |',
    ...STAGES.map((st) => `| ${st} | ${med('before', (r) => r.stages[st])} | ${med('after', (r) => r.stages[st])} |`),
    `| **wall** (CLI start to exit) | **${med('before', (r) => r.wallMs)}** | **${med('after', (r) => r.wallMs)}** |`,
    `| matrix right | ${right('before')}/${RUNS} | ${right('after')}/${RUNS} |`,
    '',
    `All runs, wall s: before ${runs.before.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}; after ${runs.after.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}.`,
  ];
  const text = lines.join('\n');
  console.log(text);
  if (values.section) await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), values.section, text);
}

await main();
