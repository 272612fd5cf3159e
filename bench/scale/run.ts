// Scale benchmark: the full pipeline (real CLI) on labs of N nodes, 1 bootstrap and the rest
// spread over the five NAT kinds, every ordered pair probed `trials` times. Records provision,
// test and wall time, the controller's peak memory, the lab's memory (every process in the
// lab's namespaces, sampled), attempts per second, and whether the NAT matrix held.
// With --isolation, the default example runs once beside each lab, started when the lab's test
// stage starts, and must get its own NAT matrix right (one lab never disturbs another).
// Run: npx tsx bench/scale/run.ts [--nodes 12,24,48,100] [--trials 3] [--section scale] [--isolation]
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.js';
import { destroyLab } from '../../src/lab/lab.js';
import { isNamespaceOfRun } from '../../src/lab/names.js';
import { buildPlan } from '../../src/plan/plan.js';
import { resolveChoices } from '../../src/plan/choices.js';
import { updateSection } from '../deploy/results-file.js';
import { runPipelineOnce, type PipelineRun } from '../e2e/pipeline-runs.js';
import { matrixCorrect, seconds } from '../e2e/stats.js';
import { scaleConfigYaml } from './fleet.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => console.error(`[scale] ${line}`);
const { values } = parseArgs({ options: { nodes: { type: 'string', default: '12,24' }, trials: { type: 'string', default: '3' }, section: { type: 'string' }, isolation: { type: 'boolean', default: false } } });
const SIZES = (values.nodes ?? '').split(',').map(Number);
const TRIALS = Number(values.trials);

async function rssKb(pid: number, field = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

/** Sum of resident memory of every process in the run's namespaces (agents, sshds). */
/**
 * The sum of RSS of every process in the run's namespaces: one pass over /proc, matching each
 * process's network namespace (inode of /proc/<pid>/ns/net) against the run's /run/netns files,
 * so a sample takes milliseconds even at 200 nodes (one `ip netns pids` per namespace did not).
 */
async function labRssKb(runId: string): Promise<number> {
  const names = (await readdir('/run/netns').catch(() => [] as string[])).filter((ns) => isNamespaceOfRun(ns, runId));
  const inodes = new Set<number>();
  for (const ns of names) inodes.add((await stat(path.join('/run/netns', ns)).catch(() => ({ ino: -1 }))).ino);
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const ino = (await stat(`/proc/${pid}/ns/net`).catch(() => ({ ino: -1 }))).ino;
    if (ino !== -1 && inodes.has(ino)) total += await rssKb(Number(pid));
  }
  return total;
}

interface ScaleResult {
  nodes: number;
  run?: PipelineRun;
  attempts: number;
  correct: boolean;
  controllerPeakMb: number;
  labPeakMb: number;
  error?: string;
  /** the default example run beside this lab (--isolation) */
  beside?: { correct: boolean; testMs: number; error?: string };
}

/** The default example's pairs (the bundled lab NAT matrix), for tallying a run beside the lab. */
async function defaultPairs() {
  const loaded = await loadConfig(path.join(REPO, 'examples', 'lab-nat-matrix.yml'));
  const suite = buildPlan(loaded.config, await resolveChoices({}, loaded.project)).suites.find((s) => s.name === 'connectivity');
  return { pairs: suite?.pairs ?? [], attempts: (suite?.pairs.length ?? 0) * (suite?.trials ?? 0) };
}

/** Waits for the lab's test stage, then runs the default example in its own folder beside it. */
async function besideTheLab(workdir: string, done: () => boolean): Promise<ScaleResult['beside']> {
  while (!done() && !/\] test \.\.\./.test(await readFile(path.join(workdir, 'cli.log'), 'utf8').catch(() => ''))) await new Promise((r) => setTimeout(r, 200));
  if (done()) return { correct: false, testMs: 0, error: 'the lab ended before its test stage' };
  const dir = path.join(workdir, 'beside');
  await mkdir(dir);
  const { pairs, attempts } = await defaultPairs();
  try {
    const run = await runPipelineOnce(dir, pairs);
    for (const id of await readdir(path.join(dir, '.vps-test', 'runs')).catch(() => [] as string[])) await destroyLab(id).catch(() => undefined);
    return { correct: matrixCorrect(run, attempts), testMs: run.stages.test ?? 0 };
  } catch (err) {
    return { correct: false, testMs: 0, error: (err as Error).message };
  }
}

async function measure(root: string, nodes: number): Promise<ScaleResult> {
  const workdir = path.join(root, `n${nodes}`);
  await mkdir(workdir);
  const configPath = path.join(workdir, '.vps-test.yml');
  await writeFile(configPath, scaleConfigYaml(nodes, TRIALS));
  const loaded = await loadConfig(configPath);
  const plan = buildPlan(loaded.config, await resolveChoices({}, loaded.project));
  const suite = plan.suites.find((s) => s.name === 'connectivity');
  const attempts = (suite?.pairs.length ?? 0) * (suite?.trials ?? 0);
  let child: ChildProcess | undefined;
  let controllerPeakKb = 0;
  let labPeakKb = 0;
  let sampling = false; // a sample still running skips the next tick instead of piling up
  const sampler = setInterval(() => {
    if (sampling) return;
    sampling = true;
    void (async () => {
      if (child?.pid) controllerPeakKb = Math.max(controllerPeakKb, await rssKb(child.pid, 'VmHWM'));
      const ids = await readdir(path.join(workdir, '.vps-test', 'runs')).catch(() => [] as string[]);
      if (ids[0]) labPeakKb = Math.max(labPeakKb, await labRssKb(ids[0]));
    })().finally(() => (sampling = false));
  }, 1000);
  let finished = false;
  const beside = values.isolation ? besideTheLab(workdir, () => finished) : undefined;
  try {
    const run = await runPipelineOnce(workdir, suite?.pairs ?? [], { onChild: (c) => (child = c ?? child) });
    finished = true;
    const b = await beside;
    return { nodes, run, attempts, correct: matrixCorrect(run, attempts), controllerPeakMb: controllerPeakKb / 1024, labPeakMb: labPeakKb / 1024, ...(b && { beside: b }) };
  } catch (err) {
    finished = true;
    await beside;
    return { nodes, attempts, correct: false, controllerPeakMb: controllerPeakKb / 1024, labPeakMb: labPeakKb / 1024, error: (err as Error).message };
  } finally {
    clearInterval(sampler);
    for (const id of await readdir(path.join(workdir, '.vps-test', 'runs')).catch(() => [] as string[])) await destroyLab(id).catch(() => undefined);
  }
}

function row(r: ScaleResult): string {
  const s = r.run?.stages ?? {};
  const testS = (s.test ?? 0) / 1000;
  const t = r.run?.tally;
  const beside = r.beside ? `; beside it the default example: ${r.beside.error ? `error: ${r.beside.error}` : `matrix ${r.beside.correct ? 'right' : 'WRONG'} (test ${seconds(r.beside.testMs)})`}` : '';
  const outcome = r.error ? `error: ${r.error}` : `${r.run?.verdict ?? '?'}; ${t?.ok}/${r.attempts} ok, ${t?.onExpectedPath} on the oracle's path${r.correct ? '' : ' (matrix WRONG)'}${beside}`;
  return `| ${r.nodes} | ${r.attempts} | ${seconds(s.provision ?? 0)} | ${seconds(s.test ?? 0)} | ${r.run ? seconds(r.run.wallMs) : '-'} | ${r.controllerPeakMb.toFixed(0)} MiB | ${r.labPeakMb.toFixed(0)} MiB | ${testS ? (r.attempts / testS).toFixed(0) : '-'} | ${outcome} |`;
}

const startLoad = os.loadavg().map((x) => x.toFixed(1)).join(' / ');
const root = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-scale-'));
const results: ScaleResult[] = [];
try {
  for (const n of SIZES) {
    log(`${n} nodes, ${TRIALS} trials ...`);
    const r = await measure(root, n);
    results.push(r);
    log(row(r));
  }
} finally {
  if (results.every((r) => r.correct)) await rm(root, { recursive: true, force: true });
  else log(`kept ${root} (run folders with results.json and logs) for diagnosis`);
}
const text = [
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/scale/run.ts --nodes ${SIZES.join(',')} --trials ${TRIALS}${values.isolation ? ' --isolation' : ''}\`; ${os.cpus().length} CPUs, load average ${startLoad} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end (machine shared with other engineers' tests).`,
  'Fleet: 1 bootstrap + the rest round-robin over none, full-cone, address-restricted, port-restricted, symmetric; connectivity over every ordered pair. Memory: the CLI process\'s peak RSS (VmHWM) and the sum of RSS of every process in the lab\'s namespaces (sshds, agents), sampled each second.',
  '',
  '| nodes | attempts | provision | test | wall | controller peak | lab peak | attempts/s (test) | outcome |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(row),
].join('\n');
console.log(text);
if (values.section) await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), values.section, text);
