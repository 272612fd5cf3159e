// Long-running services on nodes: a hardened systemd unit where the machine has systemd, a
// supervised background process elsewhere (the lab). Start, stop, restart, status, readiness.
import type { FleetNode } from '../fleet/types.js';
import type { SshPool } from '../ssh/pool.js';
import { shellQuote } from '../shell/quote.js';
import { waitReady } from './readiness.js';
import {
  parseOutputValue,
  parseStatus,
  parseSystemdStatus,
  renderStartScript,
  renderStatusScript,
  renderStopScript,
  renderSystemdStartScript,
  renderSystemdStatusScript,
  renderSystemdStopScript,
  type ServiceStatus,
} from './service-render.js';
import { servicePaths, validateSpec, type ServiceSpec } from './service-spec.js';

export type { ServiceStatus } from './service-render.js';

export interface StartedService {
  node: string;
  name: string;
  /** The service's own process (systemd: MainPID). */
  pid?: number;
  logPath: string;
  /** Milliseconds until the readiness checks passed (when there were any). */
  readyMs?: number;
}

export interface StopResult {
  /** Whether a running service was stopped (false: nothing was running). */
  stopped: boolean;
  /** Whether SIGKILL was needed after the grace period. */
  forced: boolean;
}

export interface ServiceOptions {
  signal?: AbortSignal;
  /** Grace period between TERM and KILL when stopping. Default 5 s. */
  stopGraceMs?: number;
}

/** Starts (or restarts, when already running) a service and waits for its readiness checks. */
export async function startService(pool: SshPool, node: FleetNode, spec: ServiceSpec, options: ServiceOptions = {}): Promise<StartedService> {
  validateSpec(spec, `node "${node.name}"`);
  await stopService(pool, node, spec.name, options);
  const paths = servicePaths(node.workdir, spec.name);
  const script = node.systemd
    ? renderSystemdStartScript(spec, paths, node.workdir, node.execPrefix)
    : renderStartScript(spec, paths, node.workdir, node.execPrefix);
  const result = await pool.runScript(node, script, { timeoutMs: 30_000, ...(options.signal ? { signal: options.signal } : {}) });
  const offset = Number(parseOutputValue(result.stdout, 'offset') ?? 0);
  const pid = Number(parseOutputValue(result.stdout, 'pid'));
  const started: StartedService = { node: node.name, name: spec.name, logPath: paths.log };
  if (Number.isInteger(pid) && pid > 0) started.pid = pid;
  if (spec.ready && Object.keys(spec.ready).some((k) => ['log', 'tcp', 'udp', 'http'].includes(k))) {
    started.readyMs = await waitReady(spec.ready, {
      pool,
      node,
      service: spec.name,
      logPath: paths.log,
      logOffset: offset,
      ended: async () => {
        const status = await serviceStatus(pool, node, spec.name);
        return status.running || status.exitCode === undefined ? undefined : `it exited with status ${status.exitCode}`;
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return started;
}

/** Stops a service and everything it started; waits until it is gone. Idempotent. */
export async function stopService(pool: SshPool, node: FleetNode, name: string, options: ServiceOptions = {}): Promise<StopResult> {
  validateSpec({ name, command: 'true' }, `node "${node.name}"`);
  const paths = servicePaths(node.workdir, name);
  const grace = options.stopGraceMs ?? 5000;
  const script = node.systemd ? renderSystemdStopScript(paths) : renderStopScript(paths, grace);
  const r = await pool.exec(node, script, { timeoutMs: grace + 15_000, ...(options.signal ? { signal: options.signal } : {}) });
  if (r.code !== 0 || r.timedOut) {
    throw new Error(`could not stop service "${name}" on node "${node.name}": ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code}`}`);
  }
  if (node.systemd) return { stopped: true, forced: false };
  const stopped = parseOutputValue(r.stdout, 'stopped');
  return { stopped: stopped !== undefined && stopped !== 'none' && parseOutputValue(r.stdout, 'ours') === 'yes', forced: parseOutputValue(r.stdout, 'forced') === '1' };
}

/** Reads the spec the service was last started with (from the node). */
export async function readServiceSpec(pool: SshPool, node: FleetNode, name: string): Promise<ServiceSpec> {
  const paths = servicePaths(node.workdir, name);
  const r = await pool.exec(node, `cat ${shellQuote(paths.spec)}`, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`service "${name}" was never started on node "${node.name}" (no ${paths.spec})`);
  try {
    return JSON.parse(r.stdout) as ServiceSpec;
  } catch {
    throw new Error(`service "${name}" on node "${node.name}": ${paths.spec} is not valid JSON`);
  }
}

/** Stops and starts a service with the spec it was last started with. */
export async function restartService(pool: SshPool, node: FleetNode, name: string, options: ServiceOptions = {}): Promise<StartedService> {
  return startService(pool, node, await readServiceSpec(pool, node, name), options);
}

export async function serviceStatus(pool: SshPool, node: FleetNode, name: string): Promise<ServiceStatus> {
  const paths = servicePaths(node.workdir, name);
  const script = node.systemd ? renderSystemdStatusScript(paths) : renderStatusScript(paths);
  const r = await pool.exec(node, script, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`could not read the status of service "${name}" on node "${node.name}": ${r.stderr.trim() || `exit ${r.code}`}`);
  return node.systemd ? parseSystemdStatus(r.stdout) : parseStatus(r.stdout);
}
