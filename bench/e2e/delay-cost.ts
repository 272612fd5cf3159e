// Cost of the default example's small internet (fleet.internet.rtt through the lab's NFQUEUE
// delayer, docs/architecture.md "the lab's internet: hops and latency") on the default run: the
// real CLI, the default example with its internet removed (baseline: nothing delayed) and with
// each candidate rtt, alternating so all see the same load. The delayer's own CPU time is read
// from /proc while it runs (it dies with the lab).
// Run: npx tsx bench/e2e/delay-cost.ts [--runs 3] [--rtts 2,5]   (writes "## default internet")
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_EXAMPLE } from '../../src/config/find.js';
import { buildPlan } from '../../src/plan/plan.js';
import { resolveChoices } from '../../src/plan/choices.js';
import { updateSection } from '../deploy/results-file.js';
import { runPipelineOnce, type PipelineRun } from './pipeline-runs.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const RUNS = Number(arg('runs', '3'));
const RTTS = arg('rtts', '2,5').split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const TICK_S = 1 / 100; // USER_HZ

/** The default example with `internet:` replaced: none (baseline) or `rtt: <ms>ms`. */
function variant(text: string, rttMs: number | undefined): string {
  const without = text.replace(/^ {2}internet:.*\n/m, '');
  return rttMs === undefined ? without : without.replace(/^ {2}provider: local\n/m, `  provider: local\n  internet: { rtt: ${rttMs}ms }\n`);
}

/** CPU seconds of every nfq-delayer process seen, sampled until `done` resolves (max per pid). */
async function delayerCpu(done: Promise<unknown>): Promise<number> {
  const seen = new Map<string, number>();
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!cmd.split('\0')[0]?.includes('nfq-delayer')) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
      if (Number.isFinite(ticks)) seen.set(pid, Math.max(seen.get(pid) ?? 0, ticks));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return [...seen.values()].reduce((a, b) => a + b, 0) * TICK_S;
}

const example = await readFile(path.join(REPO, DEFAULT_EXAMPLE), 'utf8');
const loaded = await loadConfig(path.join(REPO, DEFAULT_EXAMPLE));
const pairs = buildPlan(loaded.config, await resolveChoices({}, loaded.project)).suites[0]?.pairs ?? [];
const variants: { label: string; rttMs: number | undefined }[] = [{ label: 'no delay (baseline)', rttMs: undefined }, ...RTTS.map((ms) => ({ label: `rtt ${ms} ms`, rttMs: ms }))];
const rows = new Map<string, { run: PipelineRun; cpuS: number }[]>(variants.map((v) => [v.label, []]));
const root = await mkdtemp(path.join(os.tmpdir(), 'vps-bench-delay-'));
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const loadStart = load();
try {
  for (let i = 1; i <= RUNS; i++) {
    for (const v of variants) {
      const dir = path.join(root, `${i}-${v.rttMs ?? 0}`);
      await mkdir(dir);
      await writeFile(path.join(dir, '.vps-test.yml'), variant(example, v.rttMs));
      const running = runPipelineOnce(dir, pairs);
      const cpuS = await delayerCpu(running);
      const run = await running;
      rows.get(v.label)!.push({ run, cpuS });
      console.error(`[delay] ${v.label} run ${i}: ${run.verdict} wall ${(run.wallMs / 1000).toFixed(2)} s, test ${((run.stages.test ?? 0) / 1000).toFixed(2)} s, delayer cpu ${cpuS.toFixed(2)} s, ${run.tally.onExpectedPath}/${run.tally.attempts} on the expected path`);
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const lines = [
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/delay-cost.ts --runs ${RUNS} --rtts ${RTTS.join(',')}\` (Node ${process.version}, ${os.cpus().length} CPUs, load ${loadStart} at start, ${load()} at end; shared machine). The default example through the real CLI with its internet removed (baseline: no delay, no delayer) and with each rtt, alternating; delayer CPU = utime + stime of the nfq-delayer process, read from /proc while it ran.`,
  '',
  '| default example | wall (median) | test stage (median) | provision (median) | delayer CPU (median) | matrix right |',
  '| --- | --- | --- | --- | --- | --- |',
  ...variants.map((v) => {
    const r = rows.get(v.label)!;
    const right = r.filter((x) => x.run.verdict === 'pass' && x.run.tally.onExpectedPath === x.run.tally.attempts).length;
    return `| ${v.label} | ${s(median(r.map((x) => x.run.wallMs)))} | ${s(median(r.map((x) => x.run.stages.test ?? 0)))} | ${s(median(r.map((x) => x.run.stages.provision ?? 0)))} | ${v.rttMs === undefined ? '-' : `${median(r.map((x) => x.cpuS)).toFixed(2)} s`} | ${right}/${r.length} |`;
  }),
  '',
  `All runs, wall / test s: ${variants.map((v) => `${v.label}: ${rows.get(v.label)!.map((x) => `${(x.run.wallMs / 1000).toFixed(1)}/${((x.run.stages.test ?? 0) / 1000).toFixed(1)}`).join(', ')}`).join('; ')}.`,
];
await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), 'default internet', lines.join('\n'));
console.log(lines.join('\n'));
