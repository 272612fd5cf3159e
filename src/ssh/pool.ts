// SshPool: one SSH connection per node, opened lazily, shared by every stage; bounded connects,
// channels per node and operations per pool; host keys always checked against the pin.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { NodeSSH } from 'node-ssh';
import type { Fleet, FleetNode } from '../fleet/types.js';
import { ExecAbortedError, isTransientOpenFailure, runOnChannel, type ExecOptions, type ExecResult, type RawClient } from './exec.js';
import { fingerprint, HostKeyMismatchError, hostKeyAlgorithms, parsePublicKey, pinnedVerifier } from './hostkey.js';
import { Limiter } from './limiter.js';
import { shellJoin } from '../shell/quote.js';
import {
  describeFailure,
  MAX_SCRIPT_BYTES,
  renderScript,
  ScriptFailedError,
  ScriptStderr,
  toStatements,
  type ScriptFailure,
} from './script.js';
import { renderKillScript, wrapCommand } from './wrap.js';
import { Reachability, type Unreachable } from './reachability.js';

export { NodeUnreachableError, isTransportFailure, type Unreachable } from './reachability.js';

export interface SshPoolOptions {
  /** Private key for every node (Fleet.clientKeyPath). Read once; never logged. */
  clientKeyPath: string;
  /** Simultaneous handshakes. Default 8. */
  maxConnects?: number;
  /** Simultaneous channels (exec, sftp) per connection; sshd's MaxSessions defaults to 10. Default 8. */
  maxChannelsPerNode?: number;
  /** Simultaneous exec/upload/download operations over the whole pool. Default 64. */
  maxOperations?: number;
  connectTimeoutMs?: number;
  /** Connect timeout once the node has answered before (a frozen sshd must not cost 20 s a round). Default 8 s. */
  reconnectTimeoutMs?: number;
  /** Keepalive probes: a silent connection is dropped after interval x count. Default 3 s x 3. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Consecutive transport failures (connect, lost connection) after which a node is unreachable. Default 2. */
  unreachableAfter?: number;
  /** Aborts every operation of the pool (the run's stage signal); a new pool is needed afterwards. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ScriptOptions extends Omit<ExecOptions, 'stdin'> {
  /** Return the failure in the result instead of throwing ScriptFailedError. */
  allowFailure?: boolean;
}

export interface ScriptResult extends ExecResult {
  ok: boolean;
  failed?: ScriptFailure;
}

interface Connection {
  ssh: NodeSSH;
  client: RawClient;
  channels: Limiter;
}

/** Simultaneous operations for a fleet of `nodes`: two per node (a round's command and a service or log read beside it), at least 64. */
export function operationsFor(nodes: number): number {
  return Math.max(64, 2 * nodes);
}

/** Extra time the remote `timeout` backstop waits beyond the controller's own deadline. */
const BACKSTOP_SLACK_S = 10;

export class SshPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly connectLimiter: Limiter;
  private readonly opLimiter: Limiter;
  private key: Promise<string> | undefined;
  private closed = false;
  private readonly answered = new Set<string>();
  private readonly reach: Reachability;

  constructor(private readonly options: SshPoolOptions) {
    this.connectLimiter = new Limiter(options.maxConnects ?? 8);
    this.opLimiter = new Limiter(options.maxOperations ?? 64);
    this.reach = new Reachability(options.unreachableAfter ?? 2, (u, count) => this.options.log?.(`ssh: node "${u.node}" is unreachable after ${count} failed operations: ${u.reason}`));
  }

  /**
   * A pool for a fleet. Operations are sized to it: a probe round runs one command on every node
   * at once, and a fixed cap (64) would start the rest of a 100-node round late, which the
   * rendezvous sees as peers that never registered.
   */
  static forFleet(fleet: Fleet, options: Omit<SshPoolOptions, 'clientKeyPath'> = {}): SshPool {
    return new SshPool({ maxOperations: operationsFor(fleet.nodes.length), ...options, clientKeyPath: fleet.clientKeyPath });
  }

  /** Opens (or reuses) the node's connection; useful to fail early on unreachable nodes. */
  async connect(node: FleetNode): Promise<void> {
    await this.tracked(node, () => this.connection(node));
  }

  /** Whether (and since when) the node stopped answering; see docs/architecture.md, "Unreachable nodes". */
  unreachable(node: FleetNode | string): Unreachable | undefined {
    return this.reach.get(typeof node === 'string' ? node : node.name);
  }

  unreachableNodes(): Unreachable[] {
    return this.reach.all();
  }

  /** Called once per node when it becomes unreachable. */
  onUnreachable(listener: (u: Unreachable) => void): void {
    this.reach.listen(listener);
  }

  /** Runs `command` on the node's machine (or AS the node with asNode) through POSIX sh. */
  exec(node: FleetNode, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.tracked(node, () => this.execOnce(node, command, options));
  }

  private tracked<T>(node: FleetNode, op: () => Promise<T>): Promise<T> {
    return this.reach.track(node.name, op, () => Boolean(this.options.signal?.aborted));
  }

  private async execOnce(node: FleetNode, command: string, options: ExecOptions): Promise<ExecResult> {
    const signal = mergeSignals(options.signal, this.options.signal);
    if (signal) options = { ...options, signal };
    const conn = await this.connection(node);
    const wrapped = wrapCommand(command, {
      prefix: options.asNode ? node.execPrefix : [],
      ...(options.timeoutMs !== undefined ? { backstopSeconds: options.timeoutMs / 1000 + BACKSTOP_SLACK_S } : {}),
    });
    // Channel slot first, then the pool-wide slot, so a busy node never holds slots others need.
    return conn.channels.run(() =>
      this.opLimiter.run(() =>
        runOnChannel(conn.client, wrapped, options, {
          what: describe(node),
          // The kill bypasses the channel limit: the slot it would wait for is the one it frees.
          kill: (pid) => this.killGroup(conn, node, pid),
        }),
      ),
    );
  }

  /** exec of an argv (each element quoted). */
  execArgv(node: FleetNode, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(node, shellJoin(argv), options);
  }

  /**
   * Runs a multi-line script with set -e semantics. On failure throws ScriptFailedError naming
   * the line, its text and its stderr (or returns it in `failed` with allowFailure).
   */
  async runScript(node: FleetNode, script: readonly string[] | string, options: ScriptOptions = {}): Promise<ScriptResult> {
    const statements = toStatements(script);
    const text = renderScript(statements);
    if (Buffer.byteLength(text) > MAX_SCRIPT_BYTES) {
      throw new Error(`script for node "${node.name}" is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_SCRIPT_BYTES} (upload a file instead)`);
    }
    const tracker = new ScriptStderr(options.onStderr);
    const { allowFailure, ...execOptions } = options;
    const result = await this.exec(node, text, { ...execOptions, onStderr: (chunk) => tracker.write(chunk) });
    tracker.end();
    const failed = tracker.failure(statements);
    const ok = result.code === 0 && !result.timedOut;
    const out: ScriptResult = { ...result, stderr: tracker.text(), ok };
    if (failed) out.failed = failed;
    if (ok || allowFailure) return out;
    if (failed) throw new ScriptFailedError(node.name, failed, describeFailure(node.name, failed));
    const at = statements.find((s) => s.line === tracker.lastLine());
    const where = at ? ` at line ${at.line} (\`${at.text.split('\n')[0]!.trim()}\`)` : '';
    const why = result.timedOut ? `timed out after ${options.timeoutMs} ms` : `ended with ${result.signal ? `signal ${result.signal}` : `exit code ${result.code}`}`;
    const tail = out.stderr.trim().split('\n').slice(-10).join('\n');
    throw new ScriptFailedError(node.name, undefined, `script on node "${node.name}" ${why}${where}${tail ? `:\n${tail}` : ''}`);
  }

  /** Copies a local file to the node (sftp). */
  upload(node: FleetNode, localPath: string, remotePath: string): Promise<void> {
    return this.tracked(node, () => this.uploadOnce(node, localPath, remotePath));
  }

  private async uploadOnce(node: FleetNode, localPath: string, remotePath: string): Promise<void> {
    const conn = await this.connection(node);
    await conn.channels.run(() =>
      this.opLimiter.run(async () => {
        try {
          await retryOpen(() => conn.ssh.putFile(localPath, remotePath));
        } catch (err) {
          throw new Error(`upload of ${localPath} to node "${node.name}":${remotePath} failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** Copies a file from the node to a local path (sftp). */
  download(node: FleetNode, remotePath: string, localPath: string): Promise<void> {
    return this.tracked(node, () => this.downloadOnce(node, remotePath, localPath));
  }

  private async downloadOnce(node: FleetNode, remotePath: string, localPath: string): Promise<void> {
    const conn = await this.connection(node);
    await conn.channels.run(() =>
      this.opLimiter.run(async () => {
        try {
          await retryOpen(() => conn.ssh.getFile(localPath, remotePath));
        } catch (err) {
          throw new Error(`download of node "${node.name}":${remotePath} to ${localPath} failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** Number of open (or opening) connections; one per node at most. */
  get size(): number {
    return this.connections.size;
  }

  /** Closes every connection. The pool can not be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          (await p).ssh.dispose();
        } catch {
          /* never opened */
        }
      }),
    );
  }

  private async killGroup(conn: Connection, node: FleetNode, pid: number): Promise<void> {
    const script = renderKillScript(pid);
    const result = await runOnChannel(conn.client, wrapCommand(script, { prefix: [] }), { timeoutMs: 15_000 }, {
      what: describe(node),
      kill: async () => undefined,
    });
    if (result.code !== 0) throw new Error(result.stderr.trim() || `kill script exited ${result.code}`);
  }

  private connection(node: FleetNode): Promise<Connection> {
    if (this.closed) return Promise.reject(new Error(`SSH pool is closed (node "${node.name}")`));
    if (this.options.signal?.aborted) return Promise.reject(new ExecAbortedError(`SSH to node "${node.name}" aborted`));
    const id = `${node.name}@${node.ssh.host}:${node.ssh.port}`;
    let pending = this.connections.get(id);
    if (!pending) {
      pending = this.connectLimiter.run(() => this.open(node));
      this.connections.set(id, pending);
      // A failed connect is not cached: the next use tries again.
      pending.catch(() => {
        if (this.connections.get(id) === pending) this.connections.delete(id);
      });
    }
    return pending;
  }

  private async open(node: FleetNode): Promise<Connection> {
    const address = `${node.ssh.host}:${node.ssh.port}`;
    const pinned = parsePublicKey(node.ssh.hostKey, `node "${node.name}"`);
    const verifier = pinnedVerifier(pinned);
    const privateKey = await this.privateKey();
    const ssh = new NodeSSH();
    const started = Date.now();
    // Our own socket so Nagle is off from the first packet: the handshake and every exec are small
    // request/response exchanges, and Nagle + delayed ACK would add ~40 ms to each.
    const sock = net.connect({ host: node.ssh.host, port: node.ssh.port });
    sock.setNoDelay(true);
    const onAbort = () => sock.destroy(new Error('aborted'));
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = this.answered.has(address) ? Math.min(this.options.reconnectTimeoutMs ?? 8000, this.options.connectTimeoutMs ?? 20_000) : (this.options.connectTimeoutMs ?? 20_000);
    try {
      await ssh.connect({
        sock,
        host: node.ssh.host,
        port: node.ssh.port,
        username: node.ssh.user,
        privateKey,
        hostVerifier: verifier.verify,
        algorithms: { serverHostKey: hostKeyAlgorithms(pinned.type) },
        readyTimeout: timeout,
        keepaliveInterval: this.options.keepaliveIntervalMs ?? 3000,
        keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
      } as Parameters<NodeSSH['connect']>[0]);
    } catch (err) {
      this.options.signal?.removeEventListener('abort', onAbort);
      ssh.dispose();
      sock.destroy();
      const received = verifier.received();
      if (received && !received.equals(pinned.blob)) {
        throw new HostKeyMismatchError(node.name, address, fingerprint(pinned.blob), fingerprint(received));
      }
      throw new Error(`cannot connect to node "${node.name}" at ${address} as ${node.ssh.user}: ${(err as Error).message}`);
    }
    this.options.signal?.removeEventListener('abort', onAbort);
    this.answered.add(address);
    const client = ssh.connection as unknown as RawClient;
    const id = `${node.name}@${address}`;
    // After 'ready' node-ssh leaves no error listener; without ours a reset would crash the process.
    client.on('error', (err) => this.options.log?.(`ssh: node "${node.name}" (${address}): ${(err as Error).message}`));
    client.on('close', () => {
      const current = this.connections.get(id);
      if (current) {
        current.then((c) => c.client === client && this.connections.delete(id), () => undefined);
      }
    });
    this.options.log?.(`ssh: connected to node "${node.name}" at ${address} in ${Date.now() - started} ms`);
    return { ssh, client, channels: new Limiter(this.options.maxChannelsPerNode ?? 8) };
  }

  private privateKey(): Promise<string> {
    this.key ??= readFile(this.options.clientKeyPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      this.key = undefined;
      throw new Error(`cannot read the SSH client key ${this.options.clientKeyPath}: ${err.code ?? err.message}`);
    });
    return this.key;
  }
}

function mergeSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a || !b) return a ?? b;
  return AbortSignal.any([a, b]);
}

function describe(node: FleetNode): string {
  return `node "${node.name}" (${node.ssh.host}:${node.ssh.port})`;
}

/** Retries an operation whose channel sshd refused while freeing session slots. */
async function retryOpen<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= 12 || !isTransientOpenFailure(err as Error)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** attempt, 400)));
    }
  }
}
