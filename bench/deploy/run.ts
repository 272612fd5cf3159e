// Deploy benchmark: a 32 MB binary to 8 nodes with deployArtifact vs a sequential OpenSSH `scp`
// loop (same keys, pinned known_hosts), in the same run; then unchanged redeploys. Twice: on
// plain loopback, and with a round-trip time added by a userspace delay relay.
// Run: npx tsx bench/deploy/run.ts   (writes the "## deploy" section of bench/RESULTS.md)
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
const RTT_MS = 40;

/** Where the nodes come from: loopback sshds today; a lab fleet can be swapped in here. */
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
    description: `${count} OpenSSH sshd on 127.0.0.1 (one machine, ${os.cpus().length} CPUs: nodes and controller share them)`,
    nodes: f.nodes,
    clientKeyPath: f.clientKeyPath,
    knownHostsPath: f.knownHostsPath,
    cleanup: f.cleanup,
  };
}

/** The same nodes behind a relay (own process) that delays each direction by rtt/2. */
async function delayedFleet(base: BenchFleet, rttMs: number, dir: string): Promise<BenchFleet> {
  const relay = spawn(process.execPath, [...process.execArgv, path.join(HERE, 'delay-proxy.ts'), String(rttMs / 2), ...base.nodes.map((n) => String(n.ssh.port))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: relay.stdout! }).once('line', resolve);
    relay.once('exit', (code) => reject(new Error(`delay relay exited ${code}`)));
  });
  const ports = JSON.parse(line) as number[];
  const nodes = base.nodes.map((n, i) => ({ ...n, ssh: { ...n.ssh, port: ports[i]! } }));
  const knownHostsPath = path.join(dir, 'known_hosts.delayed');
  await writeFile(knownHostsPath, nodes.map((n) => `[127.0.0.1]:${n.ssh.port} ${n.ssh.hostKey}`).join('\n') + '\n');
  return {
    description: `the same sshds behind a userspace relay adding ${rttMs} ms round-trip time (no bandwidth limit)`,
    nodes,
    clientKeyPath: base.clientKeyPath,
    knownHostsPath,
    cleanup: async () => {
      relay.kill();
    },
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
  await run('sh', ['-c', fleet.nodes.map((n) => `mkdir -p '${n.workdir}/bin'`).join(';')]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

interface Scenario {
  scp: number[];
  auto: number[];
  gzip: number[];
  sftp: number[];
  redeployCold: number[];
  redeployWarm: number[];
  wire: { auto: number; gzip: number };
  encoding: string;
}

async function measure(fleet: BenchFleet, artifact: Artifact): Promise<Scenario> {
  const t: Scenario = { scp: [], auto: [], gzip: [], sftp: [], redeployCold: [], redeployWarm: [], wire: { auto: 0, gzip: 0 }, encoding: '' };
  for (let i = 0; i < REPEATS; i++) {
    await clearBins(fleet);
    t.scp.push(await scpLoop(fleet, artifact.path, 'agent-scp'));
    const first = await deployTimed(fleet, artifact, 'auto');
    if (first.results.some((r) => r.status !== 'uploaded')) throw new Error('first deploy did not upload to every node');
    t.wire.auto = first.results[0]!.bytesSent;
    t.encoding = first.results[0]!.encoding ?? '';
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
    t.wire.gzip = gz.results[0]!.bytesSent;
    t.gzip.push(gz.ms);
    await clearBins(fleet);
    t.sftp.push((await deployTimed(fleet, artifact, 'sftp')).ms);
  }
  return t;
}

function table(title: string, fleet: BenchFleet, t: Scenario): string[] {
  const scp = median(t.scp);
  const auto = median(t.auto);
  const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  return [
    `### ${title}`,
    '',
    `Fleet: ${fleet.description}. Median of ${REPEATS} runs (all runs, ms: scp ${runs(t.scp)}; deployArtifact ${runs(t.auto)}).`,
    '',
    '| what | time |',
    '| --- | --- |',
    `| sequential \`scp\` loop, ${NODES} nodes | ${fmt(scp)} |`,
    `| deployArtifact (${t.encoding} ${mib(t.wire.auto)} per node through exec, sha256 verified on the node, atomic rename), ${NODES} nodes in parallel, including connects | ${fmt(auto)} |`,
    `| **ratio scp / deployArtifact** | **${(scp / auto).toFixed(1)}x** |`,
    `| deployArtifact with gzip -1 (${mib(t.wire.gzip)} per node; nodes without zstd) | ${fmt(median(t.gzip))} |`,
    `| deployArtifact with plain sftp (no compression) | ${fmt(median(t.sftp))} |`,
    `| unchanged redeploy, fresh connections (sha256 check only, 0 bytes sent) | ${fmt(median(t.redeployCold))} |`,
    `| unchanged redeploy on an open pool | ${fmt(median(t.redeployWarm))} |`,
    '',
  ];
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-deploy-'));
  const loopback = await loopbackFleet(NODES);
  let delayed: BenchFleet | undefined;
  try {
    const artifact = await makeBinary(path.join(tmp, 'agent'), SIZE);
    const direct = await measure(loopback, artifact);
    delayed = await delayedFleet(loopback, RTT_MS, tmp);
    const far = await measure(delayed, artifact);
    const body = [
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/deploy/run.ts\`. ` +
        `Binary: ${mib(SIZE)} of concatenated ELF files from /usr/bin. The scp loop is OpenSSH \`scp\` (SFTP protocol) with the same key and a pinned known_hosts.`,
      '',
      ...table('loopback', loopback, direct),
      ...table(`${RTT_MS} ms round-trip time`, delayed, far),
      '### what dominates',
      '',
      '- loopback: CPU, not bytes. Nodes and controller share the same cores; each node decodes 32 MiB and hashes it ' +
        '(zstd -d ~0.03 s + sha256 ~0.065 s per node here) and sshd decrypts and writes it to the page cache, all 8 at once. ' +
        'That is why zstd beats gzip (gunzip ~0.17 s per node) and why plain sftp beats gzip here. The scp loop is ' +
        'cheap per node on loopback (a fresh handshake plus one 32 MiB write), so the gain is bounded by the CPU work both ' +
        'must do: ~3x here, short of the 4x goal, which this setup cannot show (it has no network to save).',
      `- with ${RTT_MS} ms RTT: round trips and SSH flow control. scp pays, per node and one after the other, a full ` +
        'handshake (~7 RTT) and a transfer limited by the 2 MiB SSH channel window (~50 MB/s at 40 ms). deployArtifact pays ' +
        'one connect per node in parallel, one check round trip, and a transfer of 4x fewer bytes, also in parallel.',
      '- unchanged redeploy: connect + one exec per node (sha256sum of the installed binary); no bytes of the binary are sent.',
      '',
    ].join('\n');
    await updateSection(RESULTS, 'deploy', body);
    console.log(body);
  } finally {
    await delayed?.cleanup();
    await loopback.cleanup();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
