// Benchmark of the results engine: 1,000,000 events (100 nodes, all 9,900 ordered pairs, ~101
// trials each), evaluated by the streaming path and by a naive read-everything baseline.
// Each path runs in its own child process so peak RSS is its own. Writes bench/RESULTS.md "## results".
// Run: npx tsx bench/results/run.ts
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAT_TYPES } from '../../src/config/model.js';
import type { Plan, PlannedNode } from '../../src/plan/types.js';
import { Aggregator } from '../../src/results/aggregate.js';
import { aggregateSources } from '../../src/results/collect.js';
import { evaluate } from '../../src/results/evaluate.js';
import { expectedPath } from '../../src/results/oracle.js';
import { checkEvent } from '../../src/results/validate.js';

const NODES = 100;
const TRIALS = 101; // 9,900 pairs x 101 = 999,900 attempts, + 100 gossip events = 1,000,000
const RUNS = 3;
const self = fileURLToPath(import.meta.url);

function benchPlan(): Plan {
  const nodes: PlannedNode[] = Array.from({ length: NODES }, (_, i) => ({ name: `node-${i + 1}`, role: i === 0 ? 'bootstrap' : 'peer', nat: NAT_TYPES[i % NAT_TYPES.length] as PlannedNode['nat'], arch: 'x86_64' }));
  const pairs = nodes.flatMap((f) => nodes.filter((t) => t !== f).map((t) => ({ from: f.name, to: t.name, expectedPath: expectedPath(f.nat, t.nat) })));
  return {
    choices: { project: 'bench', focus: 'full-suite', criteria: 'threshold', proof: 'logs' },
    provider: 'local',
    nodes,
    suites: [{ name: 'connectivity', trials: TRIALS, pairs }],
    thresholds: { direct: 99, nat_traversed: 85, relay: 100 },
    minAttempts: 10,
    regressionTolerance: 0,
    gossip: { origins: [], fanout: 3, durationMs: 5000, minDelivery: 95 },
    subject: { driver: 'agent', port: 9000, relay: true },
    binary: { kind: 'agent', description: 'agent', targets: [] },
    build: { kind: 'agent', arches: ['x86_64'] },
    estimate: { nodeMinutes: 0 },
  };
}

async function generate(file: string): Promise<number> {
  const out = createWriteStream(file);
  const plan = benchPlan();
  const pairs = plan.suites[0]?.pairs ?? [];
  let lines = 0;
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const p of pairs) {
    let chunk = '';
    for (let trial = 1; trial <= TRIALS; trial++) {
      const ok = rand() < 0.97;
      const rtt = Math.round((1 + rand() * 40) * 1000) / 1000;
      chunk += ok
        ? `{"v":1,"type":"attempt","suite":"connectivity","from":"${p.from}","to":"${p.to}","path":"${p.expectedPath}","ok":true,"rtt_ms":${rtt},"trial":${trial}}\n`
        : `{"v":1,"type":"attempt","suite":"connectivity","from":"${p.from}","to":"${p.to}","path":"${p.expectedPath}","ok":false,"error":"timeout","trial":${trial}}\n`;
      lines++;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  for (let i = 0; i < NODES; i++) {
    out.write(`{"v":1,"type":"gossip","msg":"m1","origin":"node-1","node":"node-${i + 1}","hops":${i % 4},"latency_ms":${10 + i}}\n`);
    lines++;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return lines;
}

/** Child: one measured evaluation; prints a JSON line. */
async function child(mode: string, file: string): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const t0 = performance.now();
  let agg: Aggregator;
  if (mode === 'stream') {
    agg = await aggregateSources([file]);
  } else {
    // Naive: whole file in memory, every line parsed into an array, then aggregated.
    const text = readFileSync(file, 'utf8');
    const parsed: unknown[] = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
    agg = new Aggregator();
    for (const value of parsed) {
      const checked = checkEvent(value); // same validation as the stream path
      if (checked.ok) agg.add(checked.event);
    }
  }
  const results = evaluate({ plan: benchPlan(), aggregate: agg, generatedAt: new Date().toISOString() });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ mode, ms, events: agg.events, pairs: results.pairs.length, verdict: results.verdict, rssStartMb: rssStart / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

interface Measure {
  mode: string;
  ms: number;
  events: number;
  pairs: number;
  verdict: string;
  rssStartMb: number;
  maxRssMb: number;
}

function measure(mode: string, file: string): Measure {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${mode} child failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Measure;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function writeResults(text: string): void {
  const path = join(dirname(self), '..', 'RESULTS.md');
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const start = existing.search(/^## results\s*$/m);
  if (start === -1) {
    writeFileSync(path, `${existing.replace(/\n*$/, '\n\n')}${text}`);
    return;
  }
  const rest = existing.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? existing.length : start + 1 + next;
  writeFileSync(path, `${existing.slice(0, start)}${text}${next === -1 ? '' : `\n${existing.slice(end)}`}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-results-'));
  try {
    const file = join(dir, 'events.jsonl');
    const g0 = performance.now();
    const lines = await generate(file);
    const sizeMb = readFileSync(file).length / 2 ** 20;
    console.log(`generated ${lines} events (${sizeMb.toFixed(1)} MiB) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    const runs: Record<string, Measure[]> = { stream: [], naive: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ['stream', 'naive'] as const) {
        const m = measure(mode, file);
        if (m.events !== lines) throw new Error(`${mode}: counted ${m.events} events, expected ${lines}`);
        runs[mode]?.push(m);
        console.log(`${mode.padEnd(6)} run ${i + 1}: ${(m.ms / 1000).toFixed(2)} s, peak RSS ${m.maxRssMb.toFixed(0)} MiB (process start ${m.rssStartMb.toFixed(0)} MiB), verdict ${m.verdict}`);
      }
    }
    const s = runs.stream as Measure[];
    const n = runs.naive as Measure[];
    const row = (label: string, ms: Measure[]): string =>
      `| ${label} | ${(median(ms.map((m) => m.ms)) / 1000).toFixed(2)} s | ${median(ms.map((m) => m.maxRssMb)).toFixed(0)} MiB | ${median(ms.map((m) => m.maxRssMb - m.rssStartMb)).toFixed(0)} MiB |`;
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const text = [
      '## results',
      '',
      `Run ${stamp} UTC, \`npx tsx bench/results/run.ts\` (Node ${process.version}). Input: ${lines.toLocaleString('en-US')} events (${sizeMb.toFixed(1)} MiB JSONL):`,
      `${NODES} nodes over all NAT types, all ${(NODES * (NODES - 1)).toLocaleString('en-US')} ordered pairs x ${TRIALS} trials, plus ${NODES} gossip events; evaluated against a plan (expected paths, thresholds).`,
      `Each path runs in its own child process (node --import tsx); median of ${RUNS} runs. Time = read + validate + aggregate + evaluate.`,
      '',
      '| path | wall time | peak RSS | peak RSS above process start |',
      '| --- | --- | --- | --- |',
      row('streaming (`aggregateSources` -> `evaluate`)', s),
      row('naive (read whole file, JSON.parse every line into an array, then aggregate)', n),
      '',
      `Goal for the streaming path: under 5 s and under 200 MB. Streaming uses ${(median(n.map((m) => m.maxRssMb)) / median(s.map((m) => m.maxRssMb))).toFixed(1)}x less peak memory than the naive path; its memory is bounded by pairs (latency: exact up to 256 samples per pair, then a log histogram with 1% error), not by events.`,
      `All runs (s): streaming ${s.map((m) => (m.ms / 1000).toFixed(2)).join(', ')}; naive ${n.map((m) => (m.ms / 1000).toFixed(2)).join(', ')}.`,
      '',
    ].join('\n');
    writeResults(text);
    console.log(`\n${text}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--child');
if (i !== -1) await child(process.argv[i + 1] as string, process.argv[i + 2] as string);
else await main();
