// What a service is, where its files live on the node, and validation. Pure.

export interface ReadyCheck {
  /** JavaScript regular expression matched against the log written since this start. */
  log?: string;
  /** A listening TCP socket on this port in the node's namespace. */
  tcp?: number;
  /** A bound UDP socket on this port in the node's namespace. */
  udp?: number;
  /** Plain-http URL fetched from inside the node's namespace; 2xx/3xx is ready. */
  http?: string;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Poll interval, default 200 ms. */
  intervalMs?: number;
}

export interface ServiceSpec {
  name: string;
  /** Shell command (POSIX sh) run as the node, in its workdir. */
  command: string;
  env?: Record<string, string>;
  ready?: ReadyCheck;
  /** Restarts after a failing exit before giving up (supervisor and systemd). Default 5. */
  maxRestarts?: number;
}

export interface ServicePaths {
  log: string;
  /** Supervisor pid = process group of the service (non-systemd). */
  pid: string;
  /** Pid of the service process itself, rewritten at every (re)start. */
  child: string;
  restarts: string;
  /** Exit status once the supervisor gave up or the service exited 0. */
  exited: string;
  spec: string;
  supervisor: string;
  /** The command as a script (systemd runs this, avoiding unit-file quoting). */
  commandScript: string;
  unit: string;
  unitPath: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function servicePaths(workdir: string, name: string): ServicePaths {
  const run = `${workdir}/run/${name}`;
  return {
    log: `${workdir}/logs/${name}.log`,
    pid: `${run}.pid`,
    child: `${run}.child`,
    restarts: `${run}.restarts`,
    exited: `${run}.exited`,
    spec: `${run}.spec.json`,
    supervisor: `${run}.supervise.sh`,
    commandScript: `${run}.command.sh`,
    unit: `vps-test-${name}.service`,
    unitPath: `/etc/systemd/system/vps-test-${name}.service`,
  };
}

/** Throws a clear error for a spec that can not be run; returns it unchanged otherwise. */
export function validateSpec(spec: ServiceSpec, where: string): ServiceSpec {
  if (!NAME.test(spec.name)) {
    throw new Error(`${where}: service name "${spec.name}" must be letters, digits, ".", "_" or "-" (max 64)`);
  }
  if (!spec.command.trim()) throw new Error(`${where}: service "${spec.name}" has an empty command`);
  for (const key of Object.keys(spec.env ?? {})) {
    if (!ENV_NAME.test(key)) throw new Error(`${where}: service "${spec.name}" has an invalid environment variable name "${key}"`);
  }
  const ready = spec.ready;
  if (ready?.log !== undefined) {
    try {
      new RegExp(ready.log);
    } catch (err) {
      throw new Error(`${where}: service "${spec.name}" ready.log is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  for (const key of ['tcp', 'udp'] as const) {
    const port = ready?.[key];
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new Error(`${where}: service "${spec.name}" ready.${key} must be a port 1-65535, got ${port}`);
    }
  }
  if (ready?.http !== undefined) parseHttpUrl(ready.http, `${where}: service "${spec.name}" ready.http`);
  if (spec.maxRestarts !== undefined && (!Number.isInteger(spec.maxRestarts) || spec.maxRestarts < 0)) {
    throw new Error(`${where}: service "${spec.name}" maxRestarts must be a non-negative integer`);
  }
  return spec;
}

export interface HttpTarget {
  host: string;
  port: number;
  path: string;
}

/** Plain http only (nodes have no TLS client we can count on). */
export function parseHttpUrl(url: string, where: string): HttpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${where}: "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:') throw new Error(`${where}: only http:// URLs can be checked on a node, got "${url}"`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new Error(`${where}: unsupported host in "${url}"`);
  return { host, port: parsed.port ? Number(parsed.port) : 80, path: `${parsed.pathname}${parsed.search}` };
}
