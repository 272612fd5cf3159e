// Cost of path evidence on the default example's TEST stage: the real CLI, 3 runs. Between
// rounds the counters are read beside the NAT flush the rounds wait for anyway; each run's test
// stage logs how much longer the rounds waited for the reads than for the flush. Baseline =
// the same test stage minus that wait (what it would take without evidence).
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
const rows: { test: number; evidence: number; readMs: number; reads: number; verdict: string }[] = [];
try {
  for (let i = 1; i <= RUNS; i++) {
    const dir = path.join(root, `run-${i}`);
    await mkdir(dir);
    const run = await runPipelineOnce(dir, pairs);
    const log = await readFile(run.logPath, 'utf8');
    const m = /path evidence: (\d+) reads of \d+ machines' counters \(([\d.]+) s, beside the NAT flushes\); the rounds waited ([\d.]+) s/.exec(log);
    if (!m || run.stages.test === undefined) throw new Error(`run ${i}: no evidence line or test stage (exit ${run.exitCode}; ${run.logPath})`);
    rows.push({ test: run.stages.test, reads: Number(m[1]), readMs: Number(m[2]) * 1000, evidence: Number(m[3]) * 1000, verdict: run.verdict ?? '?' });
    console.error(`[evidence] run ${i}: test ${run.stages.test} ms, reads ${Number(m[2]) * 1000} ms, waited ${Number(m[3]) * 1000} ms, ${run.verdict}`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
const test = median(rows.map((r) => r.test));
const evidence = median(rows.map((r) => r.evidence));
const readMs = median(rows.map((r) => r.readMs));
const section = [
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/evidence-cost.ts\` (Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)} at the end; other jobs share the machine). The default example (${DEFAULT_EXAMPLE}, ${pairs.length} pairs x ${plan.suites[0]?.trials} trials) through the real CLI, ${RUNS} runs. Between rounds every machine's counters are read (one \`ip netns exec <machine> nft -j list table\` each, ${rows[0]?.reads} reads per run) beside the NAT flush the rounds wait for anyway; the cost is how much longer the rounds waited for the reads than for the flush, and the baseline is the test stage without that wait.`,
  '',
  '| what | median |',
  '| --- | --- |',
  `| TEST stage with path evidence | ${(test / 1000).toFixed(2)} s |`,
  `| counter reads (${rows[0]?.reads} per run, all machines in parallel), total | ${(readMs / 1000).toFixed(2)} s |`,
  `| of which the rounds waited beyond the NAT flush | ${(evidence / 1000).toFixed(2)} s |`,
  `| baseline: TEST stage without that wait | ${((test - evidence) / 1000).toFixed(2)} s |`,
  `| **cost of path evidence** | **${((evidence / (test - evidence)) * 100).toFixed(1)}%** (goal < 5%) |`,
  '',
  `All runs (test ms / reads ms / waited ms / verdict): ${rows.map((r) => `${r.test} / ${Math.round(r.readMs)} / ${Math.round(r.evidence)} / ${r.verdict}`).join('; ')}.`,
].join('\n');
await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), 'evidence', `${section}\n`);
console.log(section);
