// Deploy benchmark: a 32 MB binary to 8 nodes with deployArtifact vs a sequential OpenSSH `scp`
// loop (same keys, pinned known_hosts), in the same run; then an unchanged redeploy.
// Run: npx tsx bench/deploy/run.ts   (writes the "## deploy" section of bench/RESULTS.md)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { deployArtifact, type Artifact, type TransferMethod } from '../../src/deploy/index.js';
import type { FleetNode } from '../../src/providers/types.js';
import { SshPool } from '../../src/ssh/index.js';
import { startSshds } from '../../test/helpers/sshd.js';
import { updateSection } from './results-file.js';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, '..', 'RESULTS.md');
const SIZE = 32 * 1024 * 1024;
const NODES = 8;
const REPEATS = 3;

/** Where the nodes come from. Loopback sshds today; a lab fleet can be swapped in here. */
interface BenchFleet {
  description: string;
  nodes: FleetNode[];
  clientKeyPath: string;
  knownHostsPath: string;
  cleanup(): Promise<void>;
}

async function loopbackFleet(count: number): Promise<BenchFleet> {
  const f = await startSshds(count, { prefix: 'b' });
  return {
    description: `${count} sshd instances on 127.0.0.1 (OpenSSH, one machine, ${os.cpus().length} CPUs)`,
    nodes: f.nodes,
    clientKeyPath: f.clientKeyPath,
    knownHostsPath: f.knownHostsPath,
    cleanup: f.cleanup,
  };
}

/** A binary-like file: real ELF files from /usr/bin concatenated (compresses like a real binary). */
async function makeBinary(file: string, size: number): Promise<Artifact> {
  const parts: Buffer[] = [];
  let total = 0;
  for (const name of (await readdir('/usr/bin')).sort()) {
    if (total >= size) break;
    const data = await readFile(path.join('/usr/bin', name)).catch(() => undefined);
    if (!data || data.subarray(0, 4).toString('latin1') !== '\x7fELF') continue;
    parts.push(data);
    total += data.length;
  }
  if (total < size) throw new Error(`only ${total} bytes of ELF files in /usr/bin`);
  const buf = Buffer.concat(parts).subarray(0, size);
  await writeFile(file, buf, { mode: 0o755 });
  return { path: file, sha256: createHash('sha256').update(buf).digest('hex'), size, name: 'agent' };
}

async function scpLoop(fleet: BenchFleet, file: string, remoteName: string): Promise<number> {
  const started = performance.now();
  for (const node of fleet.nodes) {
    await run('scp', [
      '-q',
      '-i', fleet.clientKeyPath,
      '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-P', String(node.ssh.port),
      file,
      `${node.ssh.user}@${node.ssh.host}:${node.workdir}/bin/${remoteName}`,
    ]);
  }
  return performance.now() - started;
}

async function deployTimed(fleet: BenchFleet, artifact: Artifact, method: TransferMethod, pool?: SshPool) {
  const own = pool ?? new SshPool({ clientKeyPath: fleet.clientKeyPath });
  const started = performance.now();
  try {
    const results = await deployArtifact(own, fleet.nodes, artifact, { method });
    const ms = performance.now() - started;
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) throw new Error(`deploy failed: ${failed.map((r) => `${r.node}: ${r.error}`).join('; ')}`);
    return { ms, results };
  } finally {
    if (!pool) await own.close();
  }
}

async function clearBins(fleet: BenchFleet): Promise<void> {
  for (const node of fleet.nodes) await rm(path.join(node.workdir, 'bin'), { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-deploy-'));
  const fleet = await loopbackFleet(NODES);
  try {
    const artifact = await makeBinary(path.join(tmp, 'agent'), SIZE);
    const t = { scp: [] as number[], auto: [] as number[], gzip: [] as number[], sftp: [] as number[], redeployCold: [] as number[], redeployWarm: [] as number[] };
    const wire = { auto: 0, gzip: 0 };
    let encoding = '';
    for (let i = 0; i < REPEATS; i++) {
      await clearBins(fleet);
      await run('sh', ['-c', fleet.nodes.map((n) => `mkdir -p '${n.workdir}/bin'`).join(';')]);
      t.scp.push(await scpLoop(fleet, artifact.path, 'agent-scp'));
      const first = await deployTimed(fleet, artifact, 'auto');
      if (first.results.some((r) => r.status !== 'uploaded')) throw new Error('first deploy did not upload to every node');
      wire.auto = first.results[0]!.bytesSent;
      encoding = first.results[0]!.encoding ?? '';
      t.auto.push(first.ms);
      // unchanged redeploy, as a new run would do it: fresh connections
      const cold = await deployTimed(fleet, artifact, 'auto');
      if (cold.results.some((r) => r.status !== 'skipped' || r.bytesSent !== 0)) throw new Error('redeploy sent bytes');
      t.redeployCold.push(cold.ms);
      // unchanged redeploy on an open pool (a later stage of the same run)
      const pool = new SshPool({ clientKeyPath: fleet.clientKeyPath });
      await Promise.all(fleet.nodes.map((n) => pool.connect(n)));
      t.redeployWarm.push((await deployTimed(fleet, artifact, 'auto', pool)).ms);
      await pool.close();
      // the fallbacks, same checks: gzip (nodes without zstd) and plain sftp (no compression)
      await clearBins(fleet);
      const gz = await deployTimed(fleet, artifact, 'gzip');
      wire.gzip = gz.results[0]!.bytesSent;
      t.gzip.push(gz.ms);
      await clearBins(fleet);
      t.sftp.push((await deployTimed(fleet, artifact, 'sftp')).ms);
    }
    const scp = median(t.scp);
    const auto = median(t.auto);
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    const lines = [
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/deploy/run.ts\`. Fleet: ${fleet.description}.`,
      `Binary: ${mib(SIZE)} of concatenated ELF files from /usr/bin. On the wire per node: ${encoding} ${mib(wire.auto)}, gzip -1 ${mib(wire.gzip)}.`,
      `Median of ${REPEATS} runs (all runs, ms: scp ${t.scp.map(Math.round).join(', ')}; deployArtifact ${t.auto.map(Math.round).join(', ')}).`,
      '',
      '| what | time |',
      '| --- | --- |',
      `| sequential \`scp\` loop, ${NODES} nodes | ${fmt(scp)} |`,
      `| deployArtifact (${encoding} through exec, sha256 verified on the node, atomic rename), ${NODES} nodes in parallel, including connects | ${fmt(auto)} |`,
      `| **ratio scp / deployArtifact** | **${(scp / auto).toFixed(1)}x** |`,
      `| deployArtifact with gzip (nodes without zstd) | ${fmt(median(t.gzip))} |`,
      `| deployArtifact with plain sftp (no compression) | ${fmt(median(t.sftp))} |`,
      `| unchanged redeploy, fresh connections (sha256 check only, 0 bytes sent) | ${fmt(median(t.redeployCold))} |`,
      `| unchanged redeploy on an open pool | ${fmt(median(t.redeployWarm))} |`,
      '',
    ];
    const body = lines.join('\n');
    await updateSection(RESULTS, 'deploy', body);
    console.log(body);
  } finally {
    await fleet.cleanup();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
