// Cost of path evidence on the default example's TEST stage: the real CLI, 3 runs; each run's
// test stage logs the time its counter reads took (they sit between rounds, so the stage would
// be that much shorter without them). Baseline = the same test stage minus those reads.
// Run: npx tsx bench/e2e/evidence-cost.ts   (writes the "## evidence" section of bench/RESULTS.md)
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_EXAMPLE } from '../../src/config/find.js';
import { buildPlan } from '../../src/plan/plan.js';
import { resolveChoices } from '../../src/plan/choices.js';
import { updateSection } from '../deploy/results-file.js';
import { runPipelineOnce } from './pipeline-runs.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const loaded = await loadConfig(path.join(REPO, DEFAULT_EXAMPLE));
const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
const pairs = plan.suites[0]?.pairs ?? [];
const root = await mkdtemp(path.join(os.tmpdir(), 'vps-bench-evidence-'));
const rows: { test: number; evidence: number; reads: number; verdict: string }[] = [];
try {
  for (let i = 1; i <= RUNS; i++) {
    const dir = path.join(root, `run-${i}`);
    await mkdir(dir);
    const run = await runPipelineOnce(dir, pairs);
    const log = await readFile(run.logPath, 'utf8');
    const m = /path evidence: (\d+) reads of \d+ machines' counters, ([\d.]+) s of/.exec(log);
    if (!m || run.stages.test === undefined) throw new Error(`run ${i}: no evidence line or test stage (exit ${run.exitCode}; ${run.logPath})`);
    rows.push({ test: run.stages.test, evidence: Number(m[2]) * 1000, reads: Number(m[1]), verdict: run.verdict ?? '?' });
    console.error(`[evidence] run ${i}: test ${run.stages.test} ms, evidence ${Number(m[2]) * 1000} ms, ${run.verdict}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
const test = median(rows.map((r) => r.test));
const evidence = median(rows.map((r) => r.evidence));
const section = [
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/evidence-cost.ts\` (Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)} at the end; other jobs share the machine). The default example (${DEFAULT_EXAMPLE}, ${pairs.length} pairs x ${plan.suites[0]?.trials} trials) through the real CLI, ${RUNS} runs. Each round's counters are read and reset on every machine over SSH (${rows[0]?.reads} reads per run); the rounds wait for them, so the baseline without evidence is the same test stage minus the reads.`,
  '',
  '| what | median |',
  '| --- | --- |',
  `| TEST stage with path evidence | ${(test / 1000).toFixed(2)} s |`,
  `| counter reads (${rows[0]?.reads} per run, all machines in parallel) | ${(evidence / 1000).toFixed(2)} s |`,
  `| baseline: TEST stage without the reads | ${((test - evidence) / 1000).toFixed(2)} s |`,
  `| **cost of path evidence** | **${((evidence / (test - evidence)) * 100).toFixed(1)}%** (goal < 5%) |`,
  '',
  `All runs (test ms / evidence ms / verdict): ${rows.map((r) => `${r.test} / ${Math.round(r.evidence)} / ${r.verdict}`).join('; ')}.`,
].join('\n');
await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), 'evidence', `${section}\n`);
console.log(section);
