// Artifact distribution: skip nodes that already have the same sha256; otherwise stream the
// compressed binary (zstd, else gzip) through an exec channel into the decoder on the node,
// verify the sha256 there, stop the services that run this binary, rename atomically into
// place, start them again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FleetNode } from '../providers/types.js';
import { mapLimit } from '../ssh/limiter.js';
import type { SshPool } from '../ssh/pool.js';
import { shellQuote } from '../ssh/quote.js';
import { DECODERS, encodeFile, hasLocalZstd, type Encoding, type SharedStream } from './compress.js';
import { restartService, serviceStatus, stopService } from './service.js';

export interface Artifact {
  path: string;
  sha256: string;
  size: number;
  /** File name on the node: <workdir>/bin/<name>. */
  name: string;
}

/**
 * How the bytes travel. auto: zstd when the controller and the node both have it, else gzip;
 * both stream through an exec channel into the decoder on the node. raw: the same channel,
 * uncompressed. sftp: a plain sftp upload (for comparison).
 */
export type TransferMethod = 'auto' | 'zstd' | 'gzip' | 'raw' | 'sftp';

export interface DeployOptions {
  /** Nodes deployed in parallel. Default 8. */
  concurrency?: number;
  /** Default auto. */
  method?: TransferMethod;
  /** Per node deadline for the upload step. Default 10 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface NodeDeployResult {
  node: string;
  status: 'uploaded' | 'skipped' | 'failed';
  /** Bytes of the binary sent over the wire (compressed size when compressed). */
  bytesSent: number;
  /** How it travelled (uploaded nodes only). */
  encoding?: Encoding | 'sftp';
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

/** One round trip: the installed binary's sha256, whether zstd exists, services whose spec names it. */
export function renderCheckScript(binary: string, workdir: string): string {
  const q = shellQuote;
  return [
    `if [ -f ${q(binary)} ]; then printf 'sha=%s\\n' "$(sha256sum ${q(binary)} | cut -d' ' -f1)"; else echo sha=none; fi`,
    'if command -v zstd >/dev/null 2>&1; then echo zstd=yes; else echo zstd=no; fi',
    `grep -l -F -- ${q(binary)} ${q(`${workdir}/run`)}/*.spec.json 2>/dev/null | sed 's/^/service=/' || true`,
  ].join('\n');
}

export interface CheckResult {
  sha256: string;
  zstd: boolean;
  services: string[];
}

export function parseCheck(stdout: string): CheckResult {
  const out: CheckResult = { sha256: '', zstd: false, services: [] };
  for (const line of stdout.split('\n')) {
    const [key, ...rest] = line.split('=');
    const value = rest.join('=').trim();
    if (key === 'sha') out.sha256 = value;
    else if (key === 'zstd') out.zstd = value === 'yes';
    else if (key === 'service') {
      const name = /\/([^/]+)\.spec\.json$/.exec(value)?.[1];
      if (name) out.services.push(name);
    }
  }
  return out;
}

/**
 * Receives the binary (encoded on stdin, or already uploaded to `tmp` with sftp), checks its
 * sha256, makes it executable, and, when `install` is set, renames it into place. Prints the temp name.
 */
export function renderReceiveScript(o: { binary: string; tmp: string; sha256: string; decoder?: string; install: boolean }): string {
  const q = shellQuote;
  return [
    'set -e',
    `mkdir -p "$(dirname ${q(o.binary)})"`,
    `t=${q(o.tmp)}`,
    `trap '[ $? -eq 0 ] || rm -f "$t"' EXIT`,
    ...(o.decoder ? [`${o.decoder} > "$t"`] : []),
    'got=$(sha256sum "$t" | cut -d" " -f1)',
    `if [ "$got" != ${q(o.sha256)} ]; then echo "sha256 of the received file is $got, expected ${o.sha256}" >&2; exit 3; fi`,
    'chmod 755 "$t"',
    ...(o.install ? [`mv -f "$t" ${q(o.binary)}`] : []),
  ].join('\n');
}

/** The artifact's encodings, each produced once (on first need) and shared by every node. */
class Payload {
  private readonly streams = new Map<Encoding, SharedStream>();
  private localSha: Promise<string> | undefined;
  constructor(private readonly artifact: Artifact) {}

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

/** Deploys one artifact to every node (bounded parallel). Failures are per node, never thrown. */
export async function deployArtifact(pool: SshPool, nodes: readonly FleetNode[], artifact: Artifact, options: DeployOptions = {}): Promise<NodeDeployResult[]> {
  if (!NAME.test(artifact.name)) throw new Error(`artifact name "${artifact.name}" must be a plain file name`);
  if (!SHA256.test(artifact.sha256)) throw new Error(`artifact ${artifact.name}: sha256 "${artifact.sha256}" is not 64 hex digits`);
  const payload = new Payload(artifact);
  return mapLimit(nodes, options.concurrency ?? 8, async (node) => {
    const started = Date.now();
    const result: NodeDeployResult = { node: node.name, status: 'failed', bytesSent: 0, ms: 0, restarted: [] };
    try {
      await deployToNode(pool, node, artifact, payload, options, result);
    } catch (err) {
      result.status = 'failed';
      result.error = (err as Error).message;
      options.log?.(`deploy: ${artifact.name} to node "${node.name}" failed: ${result.error}`);
    }
    result.ms = Date.now() - started;
    return result;
  });
}

async function deployToNode(pool: SshPool, node: FleetNode, artifact: Artifact, payload: Payload, options: DeployOptions, result: NodeDeployResult): Promise<void> {
  const binary = binaryPath(node, artifact.name);
  const check = await pool.exec(node, renderCheckScript(binary, node.workdir), { timeoutMs: 60_000 });
  if (check.code !== 0) throw new Error(`could not check ${binary}: ${check.stderr.trim() || `exit ${check.code}`}`);
  const { sha256, services, zstd } = parseCheck(check.stdout);
  if (sha256 === artifact.sha256) {
    result.status = 'skipped';
    return;
  }
  // Services that run this binary: stopped before the swap ("text file busy"), started after.
  const running: string[] = [];
  for (const name of services) if ((await serviceStatus(pool, node, name)).running) running.push(name);
  const tmp = `${node.workdir}/bin/.${artifact.name}.upload-${process.pid}-${Date.now()}`;
  const install = running.length === 0;
  await transfer(pool, node, { binary, tmp, install, nodeHasZstd: zstd }, artifact, payload, options, result);
  if (!install) {
    try {
      for (const name of running) await stopService(pool, node, name);
      const mv = await pool.exec(node, `mv -f ${shellQuote(tmp)} ${shellQuote(binary)}`, { timeoutMs: 30_000 });
      if (mv.code !== 0) throw new Error(`could not move the new binary into ${binary}: ${mv.stderr.trim()}`);
    } catch (err) {
      await pool.exec(node, `rm -f ${shellQuote(tmp)}`, { timeoutMs: 30_000 }).catch(() => undefined);
      throw err;
    }
    for (const name of running) {
      try {
        await restartService(pool, node, name);
      } catch (err) {
        throw new Error(`${binary} was installed, but service "${name}" did not come back: ${(err as Error).message}`);
      }
      result.restarted.push(name);
    }
  }
  result.status = 'uploaded';
}

/** Gets the verified binary to `tmp` (and, with `install`, renamed into place) on the node. */
async function transfer(
  pool: SshPool,
  node: FleetNode,
  target: { binary: string; tmp: string; install: boolean; nodeHasZstd: boolean },
  artifact: Artifact,
  payload: Payload,
  options: DeployOptions,
  result: NodeDeployResult,
): Promise<void> {
  const base = { binary: target.binary, tmp: target.tmp, sha256: artifact.sha256, install: target.install };
  const timeoutMs = options.timeoutMs ?? 600_000;
  const method = options.method ?? 'auto';
  if (method !== 'sftp') {
    const encoding = await chooseEncoding(method, target.nodeHasZstd);
    const stream = payload.stream(encoding);
    const r = await pool.exec(node, renderReceiveScript({ ...base, decoder: DECODERS[encoding] }), { stdin: stream.reader(), timeoutMs });
    if (r.code !== 0) throw new Error(await uploadFailure(r, target.binary, timeoutMs, payload, artifact, stream));
    result.bytesSent = await stream.done;
    result.encoding = encoding;
    return;
  }
  await pool.exec(node, `mkdir -p ${shellQuote(`${node.workdir}/bin`)}`, { timeoutMs: 30_000 });
  try {
    await pool.upload(node, artifact.path, target.tmp);
  } catch (err) {
    await pool.exec(node, `rm -f ${shellQuote(target.tmp)}`, { timeoutMs: 30_000 }).catch(() => undefined);
    throw err;
  }
  const r = await pool.exec(node, renderReceiveScript(base), { timeoutMs });
  if (r.code !== 0) throw new Error(await uploadFailure(r, target.binary, timeoutMs, payload, artifact));
  result.bytesSent = artifact.size;
  result.encoding = 'sftp';
}

/** Why an upload failed, in words: a broken local artifact, the encoder, a timeout, or the node's stderr. */
async function uploadFailure(
  r: { code: number | null; timedOut: boolean; stderr: string },
  binary: string,
  timeoutMs: number,
  payload: Payload,
  artifact: Artifact,
  stream?: SharedStream,
): Promise<string> {
  if (stream) {
    const encodeError = await stream.done.then(() => undefined, (err: Error) => err.message);
    if (encodeError) return `could not encode ${artifact.path}: ${encodeError}`;
  }
  if (r.timedOut) return `upload to ${binary} timed out after ${timeoutMs} ms`;
  if (r.code === 3) {
    const local = await payload.sha256().catch(() => undefined);
    if (local && local !== artifact.sha256) {
      return `the local artifact ${artifact.path} has sha256 ${local}, but the build recorded ${artifact.sha256}; refusing to install it`;
    }
  }
  return `upload to ${binary} failed: ${r.stderr.trim() || `exit ${r.code}`}`;
}
