// Lab provisioning benchmark: createLab and destroyLab for 12, 24, 48 and 100 nodes (one
// bootstrap, the rest over the five NAT kinds), batched (`ip -batch`, bounded parallelism, the
// default) against the naive baseline in the same run (one process per command, every machine
// at once). Needs root.
//   npx tsx bench/lab-provision/run.ts [--sizes 12,24,48,100] [--repeats 3] [--naive-up-to 48] [--no-write]
// Writes the "## lab provisioning" section of bench/RESULTS.md unless --no-write.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLab, destroyLab } from '../../src/lab/index.js';
import { scaleNodes } from '../../test/integration/lab/scale-nodes.js';
import { updateSection } from '../deploy/results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, '..', 'RESULTS.md');

interface Sample {
  upS: number;
  networkS: number;
  downS: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function once(size: number, batch: boolean, tag: string): Promise<Sample> {
  const runId = `bp${tag}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-benchprov-'));
  let networkS = 0;
  try {
    const started = Date.now();
    const lab = await createLab(
      { runId, labRoot: path.join(tmp, 'lab'), nodes: scaleNodes(size) },
      {
        batch,
        sshTimeoutMs: 120_000,
        onProgress: (line) => {
          const m = /network of \d+ machine\(s\) in ([\d.]+) s/.exec(line);
          if (m) networkS = Number(m[1]);
        },
      },
    );
    const upS = (Date.now() - started) / 1000;
    const downStarted = Date.now();
    await lab.destroy();
    return { upS, networkS, downS: (Date.now() - downStarted) / 1000 };
  } finally {
    await destroyLab(runId).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '12,24,48,100' },
      repeats: { type: 'string', default: '3' },
      'naive-up-to': { type: 'string', default: '100' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const repeats = Number(values.repeats);
  const naiveUpTo = Number(values['naive-up-to']);
  const rows: string[] = [];
  const all: string[] = [];
  for (const size of sizes) {
    const batched: Sample[] = [];
    const naive: Sample[] = [];
    for (let r = 0; r < repeats; r++) {
      batched.push(await once(size, true, 'b'));
      if (size <= naiveUpTo) naive.push(await once(size, false, 'n'));
      console.log(`${size} nodes, run ${r + 1}: batched ${JSON.stringify(batched.at(-1))}${naive.length ? `, naive ${JSON.stringify(naive.at(-1))}` : ''}`);
    }
    const m = (list: Sample[], k: keyof Sample) => (list.length ? `${median(list.map((s) => s[k])).toFixed(1)} s` : 'not run');
    rows.push(
      `| ${size} | ${m(batched, 'networkS')} | ${m(naive, 'networkS')} | ${m(batched, 'upS')} | ${m(naive, 'upS')} | ${m(batched, 'downS')} | ${m(naive, 'downS')} |`,
    );
    all.push(`${size} nodes: batched up ${batched.map((s) => s.upS.toFixed(1)).join(', ')}; naive up ${naive.map((s) => s.upS.toFixed(1)).join(', ') || '-'}`);
  }
  const body = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/lab-provision/run.ts --sizes ${values.sizes} --repeats ${repeats}\` (Node ${process.version}, ${os.cpus().length} CPUs, machine shared with other jobs). Nodes: 1 bootstrap, the rest round-robin over public, full-cone, address-restricted, port-restricted, symmetric (a NAT'd node is 2 namespaces). The internet is a router namespace with /32 routes and permanent neighbour entries (no ARP). "batched": consecutive \`ip\` commands of one namespace in one \`ip -batch\`, all namespaces created in one batch, 8 machines at once (the default). "naive": the same commands, one process each, every machine at once. "network" is namespaces + links + NAT rules; "up" adds keys, sshds and waiting for every sshd; "down" is destroyLab (one /proc scan, one \`ip -batch\` of \`netns del\`). Medians of ${repeats}.`,
    '',
    '| nodes | network, batched | network, naive | up, batched | up, naive | down, batched | down, naive |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `All runs (s): ${all.join('; ')}.`,
  ].join('\n');
  console.log(body);
  if (!values['no-write']) await updateSection(RESULTS, 'lab provisioning', body);
}

await main();
