// One fleet, REPEATS rounds. Each round: the scp baseline, deployArtifact on fresh connections,
// unchanged redeploys, the fallbacks. Every deploy is checked: all nodes hold the artifact,
// verified and executable, at the same path.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sftpDeploy } from './sftp.js';
import { deployArtifact, type BinaryUpload, type NodeDeployResult, type TransferMethod } from '../../src/deploy/index.js';
import { SshPool } from '../../src/ssh/index.js';
import { clearBins, scpLoop, verifyInstalled } from './baseline.js';
import type { BenchFleet } from './fleets.js';

const run = promisify(execFile);

export interface Measurements {
  /** scp + ssh chmod, node after node. */
  scp: number[];
  /** 2 x nodes sequential `ssh node true`: the handshakes the scp loop pays. */
  sshHandshakes: number[];
  /** deployArtifact, fresh pool (connects included). */
  deploy: number[];
  /** deployArtifact on a pool whose connections are already open. */
  deployOpenPool: number[];
  gzip: number[];
  sftp: number[];
  redeployCold: number[];
  redeployWarm: number[];
  wire: { deploy: number; gzip: number };
  encoding: string;
}

async function openPool(fleet: BenchFleet): Promise<SshPool> {
  const pool = new SshPool({ clientKeyPath: fleet.clientKeyPath });
  await Promise.all(fleet.nodes.map((n) => pool.connect(n)));
  return pool;
}

async function deployTimed(fleet: BenchFleet, artifact: BinaryUpload, method: TransferMethod, pool?: SshPool): Promise<{ ms: number; results: NodeDeployResult[] }> {
  const own = pool ?? new SshPool({ clientKeyPath: fleet.clientKeyPath });
  try {
    const started = performance.now();
    const results = await deployArtifact(own, fleet.nodes, artifact, { method });
    const ms = performance.now() - started;
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) throw new Error(`deploy (${method}) failed: ${failed.map((r) => `${r.node}: ${r.error}`).join('; ')}`);
    return { ms, results };
  } finally {
    if (!pool) await own.close();
  }
}

/** A first deploy: every node uploaded, and the file on every node is right. */
async function freshDeploy(fleet: BenchFleet, artifact: BinaryUpload, method: TransferMethod, pool?: SshPool) {
  await clearBins(fleet);
  const d = await deployTimed(fleet, artifact, method, pool);
  if (d.results.some((r) => r.status !== 'uploaded')) throw new Error(`deploy (${method}) did not upload to every node`);
  await verifyInstalled(fleet, artifact.name, artifact.sha256, `deployArtifact (${method})`);
  return d;
}

async function sshLoop(fleet: BenchFleet): Promise<number> {
  const started = performance.now();
  for (const node of [...fleet.nodes, ...fleet.nodes]) {
    await run('ssh', [
      '-i', fleet.clientKeyPath, '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
      '-p', String(node.ssh.port), `${node.ssh.user}@${node.ssh.host}`, 'true',
    ]);
  }
  return performance.now() - started;
}

export async function measure(fleet: BenchFleet, artifact: BinaryUpload, repeats: number, log: (line: string) => void): Promise<Measurements> {
  const m: Measurements = {
    scp: [], sshHandshakes: [], deploy: [], deployOpenPool: [], gzip: [], sftp: [], redeployCold: [], redeployWarm: [],
    wire: { deploy: 0, gzip: 0 }, encoding: '',
  };
  for (let i = 0; i < repeats; i++) {
    await clearBins(fleet);
    m.scp.push(await scpLoop(fleet, artifact.path, artifact.name));
    await verifyInstalled(fleet, artifact.name, artifact.sha256, 'scp loop');

    const first = await freshDeploy(fleet, artifact, 'auto');
    m.deploy.push(first.ms);
    m.wire.deploy = first.results[0]!.bytesSent;
    m.encoding = first.results[0]!.encoding ?? '';

    // unchanged redeploy, as a new run would do it: fresh connections
    const cold = await deployTimed(fleet, artifact, 'auto');
    if (cold.results.some((r) => r.status !== 'skipped' || r.bytesSent !== 0)) throw new Error('unchanged redeploy sent bytes');
    m.redeployCold.push(cold.ms);

    // on an open pool (a later stage of the same run): the redeploy, then a first deploy without connects
    const pool = await openPool(fleet);
    try {
      const warm = await deployTimed(fleet, artifact, 'auto', pool);
      if (warm.results.some((r) => r.status !== 'skipped')) throw new Error('unchanged redeploy on an open pool uploaded');
      m.redeployWarm.push(warm.ms);
      m.deployOpenPool.push((await freshDeploy(fleet, artifact, 'auto', pool)).ms);
    } finally {
      await pool.close();
    }

    // the fallbacks: gzip (nodes without zstd) and plain sftp (no compression)
    const gz = await freshDeploy(fleet, artifact, 'gzip');
    m.gzip.push(gz.ms);
    m.wire.gzip = gz.results[0]!.bytesSent;
    await clearBins(fleet);
    const sftpPool = new SshPool({ clientKeyPath: fleet.clientKeyPath });
    try {
      const started = performance.now();
      await sftpDeploy(sftpPool, fleet.nodes, artifact);
      m.sftp.push(performance.now() - started);
    } finally {
      await sftpPool.close();
    }
    await verifyInstalled(fleet, artifact.name, artifact.sha256, 'plain sftp');

    m.sshHandshakes.push(await sshLoop(fleet));
    log(`round ${i + 1}/${repeats}: scp ${Math.round(m.scp[i]!)} ms, deployArtifact ${Math.round(m.deploy[i]!)} ms, redeploy ${Math.round(m.redeployCold[i]!)} ms`);
  }
  return m;
}
