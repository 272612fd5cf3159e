// Binary distribution. One exec per node does the whole job (one channel, one remote shell):
// the node hashes the installed binary and, when it already matches, says so and ends (nothing
// is sent). Otherwise it reports what it has (zstd, services that run this binary) and waits for
// one line from the controller ("<encoding> install|keep"), then decodes the stream that follows
// on stdin into a temp file, verifies its sha256, makes it executable and renames it into place.
// The stream is compressed once and fanned out to every node (compress.ts). Services that run
// the binary are stopped before the swap ("text file busy") and started again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { FleetNode } from '../fleet/types.js';
import type { ExecResult } from '../ssh/exec.js';
import { mapLimit } from '../ssh/limiter.js';
import type { SshPool } from '../ssh/pool.js';
import { shellQuote } from '../shell/quote.js';
import { encodeFile, hasLocalZstd, type Encoding, type SharedStream } from './compress.js';
import { parseCheck, renderDeployScript, type CheckResult } from './artifact-scripts.js';
import { restartService, serviceStatus, stopService } from './service.js';

/** A built binary on its way to the nodes (the build stage's artifact, named for the node). */
export interface BinaryUpload {
  path: string;
  sha256: string;
  size: number;
  /** File name on the node: <workdir>/bin/<name>. */
  name: string;
}

/**
 * How the bytes travel. auto: zstd when the controller and the node both have it, else gzip;
 * both stream through an exec channel into the decoder on the node. raw: the same channel,
 * uncompressed. (A plain sftp upload, the naive baseline, lives in bench/deploy/sftp.ts.)
 */
export type TransferMethod = 'auto' | 'zstd' | 'gzip' | 'raw';

export interface DeployOptions {
  /** Nodes deployed in parallel. Default 8. */
  concurrency?: number;
  /** Default auto. */
  method?: TransferMethod;
  /** Per node deadline for the whole deploy (check, transfer, verify). Default 10 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface NodeDeployResult {
  node: string;
  status: 'uploaded' | 'skipped' | 'failed';
  /** Bytes of the binary sent over the wire (compressed size when compressed). */
  bytesSent: number;
  /** How it travelled (uploaded nodes only). */
  encoding?: Encoding;
  ms: number;
  /** Services stopped for the swap and started again. */
  restarted: string[];
  error?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

export function binaryPath(node: FleetNode, name: string): string {
  return `${node.workdir}/bin/${name}`;
}

/** The artifact's encodings, each produced once (on first need) and shared by every node. */
class Payload {
  private readonly streams = new Map<Encoding, SharedStream>();
  private localSha: Promise<string> | undefined;
  constructor(private readonly artifact: BinaryUpload) {}

  stream(encoding: Encoding): SharedStream {
    let s = this.streams.get(encoding);
    if (!s) {
      s = encodeFile(this.artifact.path, encoding);
      this.streams.set(encoding, s);
    }
    return s;
  }

  /** The local file's actual sha256, to explain a mismatch reported by a node. */
  sha256(): Promise<string> {
    this.localSha ??= readFile(this.artifact.path).then((b) => createHash('sha256').update(b).digest('hex'));
    return this.localSha;
  }
}

async function chooseEncoding(method: TransferMethod, nodeHasZstd: boolean): Promise<Encoding> {
  if (method === 'zstd' || method === 'gzip' || method === 'raw') return method;
  return nodeHasZstd && (await hasLocalZstd()) ? 'zstd' : 'gzip';
}

interface NodeJob {
  pool: SshPool;
  node: FleetNode;
  artifact: BinaryUpload;
  payload: Payload;
  binary: string;
  /** Temp name next to the binary: the rename into place is atomic. */
  tmp: string;
  timeoutMs: number;
  method: TransferMethod;
  result: NodeDeployResult;
}

/** Deploys one artifact to every node (bounded parallel). Failures are per node, never thrown. */
export async function deployArtifact(pool: SshPool, nodes: readonly FleetNode[], artifact: BinaryUpload, options: DeployOptions = {}): Promise<NodeDeployResult[]> {
  if (!NAME.test(artifact.name)) throw new Error(`artifact name "${artifact.name}" must be a plain file name`);
  if (!SHA256.test(artifact.sha256)) throw new Error(`artifact ${artifact.name}: sha256 "${artifact.sha256}" is not 64 hex digits`);
  const payload = new Payload(artifact);
  const method = options.method ?? 'auto';
  if (method === 'auto') void hasLocalZstd(); // known by the time the first node asks
  return mapLimit(nodes, options.concurrency ?? 8, async (node) => {
    const started = Date.now();
    const result: NodeDeployResult = { node: node.name, status: 'failed', bytesSent: 0, ms: 0, restarted: [] };
    const binary = binaryPath(node, artifact.name);
    const tmp = `${node.workdir}/bin/.${artifact.name}.upload-${process.pid}-${Date.now()}`;
    const job: NodeJob = { pool, node, artifact, payload, binary, tmp, timeoutMs: options.timeoutMs ?? 600_000, method, result };
    try {
      const running = await streamDeploy(job);
      if (running) await swapWithServicesStopped(job, running);
    } catch (err) {
      result.status = 'failed';
      result.error = (err as Error).message;
      options.log?.(`deploy: ${artifact.name} to node "${node.name}" failed: ${result.error}`);
    }
    result.ms = Date.now() - started;
    return result;
  });
}

/** Services among `names` that are running now: they must be stopped for the swap. */
async function runningServices(job: NodeJob, names: string[]): Promise<string[]> {
  const running: string[] = [];
  for (const name of names) if ((await serviceStatus(job.pool, job.node, name)).running) running.push(name);
  return running;
}

/**
 * The one-exec deploy (see renderDeployScript). Returns the services to stop for the swap
 * when the verified binary was left at the temp name, else undefined (skipped or installed).
 */
async function streamDeploy(job: NodeJob): Promise<string[] | undefined> {
  const { pool, node, artifact, result } = job;
  const stdin = new PassThrough();
  let stdout = '';
  let asked = false;
  let onReady: (check: CheckResult) => void = () => undefined;
  const ready = new Promise<CheckResult>((resolve) => (onReady = resolve));
  const script = renderDeployScript({ binary: job.binary, tmp: job.tmp, sha256: artifact.sha256, workdir: node.workdir });
  const running = pool.exec(node, script, {
    stdin,
    timeoutMs: job.timeoutMs,
    onStdout: (chunk) => {
      if (asked) return;
      stdout += chunk;
      if (/^ready$/m.test(stdout)) {
        asked = true;
        onReady(parseCheck(stdout));
      }
    },
  });
  const release = () => {
    stdin.unpipe();
    stdin.end();
  };
  const check = await Promise.race([ready, running.then(() => undefined)]).catch((err: unknown) => {
    release();
    throw err;
  });
  if (!check) {
    // the script ended before asking for the binary: it had it already, or the check failed
    release();
    const r = await running;
    if (r.code === 0 && parseCheck(r.stdout).sha256 === artifact.sha256) {
      result.status = 'skipped';
      return undefined;
    }
    throw new Error(`could not check ${job.binary}: ${r.stderr.trim() || (r.timedOut ? `timed out after ${job.timeoutMs} ms` : `exit ${r.code}`)}`);
  }
  let stream: SharedStream | undefined;
  let services: string[];
  let encoding: Encoding;
  try {
    services = await runningServices(job, check.services);
    encoding = await chooseEncoding(job.method, check.zstd);
    stream = job.payload.stream(encoding);
    stdin.write(`${encoding} ${services.length === 0 ? 'install' : 'keep'}\n`);
    const reader = stream.reader();
    reader.on('error', () => stdin.end()); // the node sees a truncated stream and fails; uploadFailure says why
    reader.pipe(stdin);
  } catch (err) {
    release();
    await running.catch(() => undefined);
    throw err;
  }
  const r = await running;
  release();
  if (r.code !== 0) throw new Error(await uploadFailure(r, job, stream));
  result.bytesSent = await stream.done;
  result.encoding = encoding;
  result.status = 'uploaded';
  return services.length > 0 ? services : undefined;
}

/** The verified binary waits at the temp name: stop the services, rename, start them again. */
async function swapWithServicesStopped(job: NodeJob, services: string[]): Promise<void> {
  const { pool, node, binary, tmp, result } = job;
  const q = shellQuote;
  try {
    for (const name of services) await stopService(pool, node, name);
    const mv = await pool.exec(node, `mv -f ${q(tmp)} ${q(binary)}`, { timeoutMs: 30_000 });
    if (mv.code !== 0) throw new Error(`could not move the new binary into ${binary}: ${mv.stderr.trim()}`);
  } catch (err) {
    await pool.exec(node, `rm -f ${q(tmp)}`, { timeoutMs: 30_000 }).catch(() => undefined);
    throw err;
  }
  for (const name of services) {
    try {
      await restartService(pool, node, name);
    } catch (err) {
      throw new Error(`${binary} was installed, but service "${name}" did not come back: ${(err as Error).message}`);
    }
    result.restarted.push(name);
  }
}

/** Why an upload failed, in words: a broken local artifact, the encoder, a timeout, or the node's stderr. */
async function uploadFailure(r: ExecResult, job: NodeJob, stream?: SharedStream): Promise<string> {
  const { artifact, binary, timeoutMs } = job;
  if (stream) {
    const encodeError = await stream.done.then(() => undefined, (err: Error) => err.message);
    if (encodeError) return `could not encode ${artifact.path}: ${encodeError}`;
  }
  if (r.timedOut) return `upload to ${binary} timed out after ${timeoutMs} ms`;
  if (r.code === 3) {
    const local = await job.payload.sha256().catch(() => undefined);
    if (local && local !== artifact.sha256) {
      return `the local artifact ${artifact.path} has sha256 ${local}, but the build recorded ${artifact.sha256}; refusing to install it`;
    }
  }
  return `upload to ${binary} failed: ${r.stderr.trim() || `exit ${r.code}`}`;
}
