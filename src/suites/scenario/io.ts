// The scenario engine's edge: everything it does to machines goes through this interface, so
// the engine is tested with a fake and runs for real over the SSH pool and the service module.
import type { FleetNode } from '../../fleet/types.js';
import type { ExecResult, SshPool } from '../../ssh/index.js';
import { restartService, startService, stopService, type ServiceSpec } from '../../deploy/index.js';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface ScenarioIO {
  /** A command as the node (its namespace) or, with asNode false, on its machine's public side. */
  exec(node: FleetNode, command: string, options: { asNode: boolean; timeoutMs: number; signal?: AbortSignal }): Promise<ExecResult>;
  /** Starts a named long-running process (a service unit or supervised process) and waits for readiness. */
  start(node: FleetNode, spec: ServiceSpec): Promise<void>;
  /** Stops it; false when nothing was running. */
  stop(node: FleetNode, name: string): Promise<boolean>;
  restart(node: FleetNode, name: string): Promise<void>;
  /** An HTTP request from the controller itself. */
  fetch(url: string, timeoutMs: number): Promise<HttpResponse>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Over the SSH pool. Only the steps themselves pass the abort signal: what undoes a scenario
 * (heal, stopping its background processes) must still run after a Ctrl-C.
 */
export function sshScenarioIO(pool: SshPool, signal?: AbortSignal): ScenarioIO {
  const opts = signal ? { signal } : {};
  return {
    exec: (node, command, o) => pool.exec(node, command, { asNode: o.asNode, timeoutMs: o.timeoutMs, ...(o.signal && { signal: o.signal }) }),
    start: async (node, spec) => {
      await startService(pool, node, spec, opts);
    },
    stop: async (node, name) => (await stopService(pool, node, name)).stopped,
    restart: async (node, name) => {
      await restartService(pool, node, name, opts);
    },
    fetch: async (url, timeoutMs) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, body: await response.text() };
    },
    sleep: (ms, s) => sleep(ms, s ?? signal),
    now: () => Date.now(),
  };
}
