// Is a freshly started service ready? Log pattern, TCP/UDP listening socket, HTTP URL; polled
// until a deadline. Probes that look at sockets run AS the node (its network namespace).
import type { FleetNode } from '../fleet/types.js';
import { shellQuote } from '../shell/quote.js';
import type { SshPool } from '../ssh/pool.js';
import { parseHttpUrl, type ReadyCheck } from './service-spec.js';

/**
 * Ports with a listening socket, from `ss -Hln[t|u]` output or, where ss is missing, from
 * /proc/net/{tcp,udp}[6] (state 0A = TCP LISTEN, 07 = UDP unconnected).
 */
export function listeningPorts(text: string, proto: 'tcp' | 'udp'): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const proc = /^\s*\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})/.exec(line);
    if (proc) {
      if (proc[2]!.toUpperCase() === (proto === 'tcp' ? '0A' : '07')) ports.add(parseInt(proc[1]!, 16));
      continue;
    }
    const cols = line.trim().split(/\s+/);
    // ss -H: State Recv-Q Send-Q Local:Port Peer:Port [Process]; older ss may add Netid first
    const local = cols[0] === 'tcp' || cols[0] === 'udp' ? cols[4] : cols[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return ports;
}

function socketListing(proto: 'tcp' | 'udp'): string {
  const flag = proto === 'tcp' ? 't' : 'u';
  return `if command -v ss >/dev/null 2>&1; then ss -Hln${flag}; else cat /proc/net/${proto} /proc/net/${proto}6 2>/dev/null; fi`;
}

/** A plain-http GET that succeeds on 2xx/3xx: wget, curl, or bash's /dev/tcp as a last resort. */
export function renderHttpProbe(url: string): string {
  const { host, port, path } = parseHttpUrl(url, 'ready.http');
  const q = shellQuote;
  const request = `GET ${path || '/'} HTTP/1.0\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  const devTcp = `exec 3<>/dev/tcp/${host}/${port} && printf %s ${q(request)} >&3 && head -n 1 <&3`;
  return [
    `if command -v wget >/dev/null 2>&1; then wget -q -T 2 -O /dev/null ${q(url)};`,
    `elif command -v curl >/dev/null 2>&1; then curl -fsS -m 2 -o /dev/null ${q(url)};`,
    `else timeout 3 bash -c ${q(devTcp)} | grep -q -E '^HTTP/[0-9.]+ [23][0-9][0-9]'; fi`,
  ].join(' ');
}

export function describeCheck(check: ReadyCheck): string {
  const parts: string[] = [];
  if (check.log !== undefined) parts.push(`log /${check.log}/`);
  if (check.tcp !== undefined) parts.push(`tcp port ${check.tcp}`);
  if (check.udp !== undefined) parts.push(`udp port ${check.udp}`);
  if (check.http !== undefined) parts.push(`http ${check.http}`);
  return parts.join(', ') || 'nothing';
}

export class NotReadyError extends Error {
  override name = 'NotReadyError';
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

export interface WaitReadyContext {
  pool: SshPool;
  node: FleetNode;
  service: string;
  logPath: string;
  /** Log size at start: only what this start wrote can satisfy the log pattern. */
  logOffset: number;
  /** Returns a reason when the service has ended for good (stop waiting early). */
  ended?: () => Promise<string | undefined>;
  signal?: AbortSignal;
}

const LOG_WINDOW = 1024 * 1024;

/** Polls until every configured check passes; returns the time it took. */
export async function waitReady(check: ReadyCheck, ctx: WaitReadyContext): Promise<number> {
  const started = Date.now();
  const timeoutMs = check.timeoutMs ?? 30_000;
  const interval = check.intervalMs ?? 200;
  const pattern = check.log !== undefined ? new RegExp(check.log, 'm') : undefined;
  let logText = '';
  let readBytes = ctx.logOffset;
  const pending = new Set<string>(['log', 'tcp', 'udp', 'http'].filter((k) => check[k as keyof ReadyCheck] !== undefined));
  // the abort reaches the probes themselves, not only the loop between them
  const sig = ctx.signal ? { signal: ctx.signal } : {};
  const probes: Record<string, () => Promise<boolean>> = {
    log: async () => {
      const r = await ctx.pool.exec(ctx.node, `tail -c +${readBytes + 1} ${shellQuote(ctx.logPath)} 2>/dev/null`, { timeoutMs: 10_000, ...sig });
      readBytes += Buffer.byteLength(r.stdout);
      logText = (logText + r.stdout).slice(-LOG_WINDOW);
      return pattern!.test(logText);
    },
    tcp: async () => listeningPorts((await ctx.pool.exec(ctx.node, socketListing('tcp'), { asNode: true, timeoutMs: 10_000, ...sig })).stdout, 'tcp').has(check.tcp!),
    udp: async () => listeningPorts((await ctx.pool.exec(ctx.node, socketListing('udp'), { asNode: true, timeoutMs: 10_000, ...sig })).stdout, 'udp').has(check.udp!),
    http: async () => (await ctx.pool.exec(ctx.node, renderHttpProbe(check.http!), { asNode: true, timeoutMs: 10_000, ...sig })).code === 0,
  };
  const stopped = () => new Error(`stopped waiting for service "${ctx.service}" on node "${ctx.node.name}"`);
  for (;;) {
    if (ctx.signal?.aborted) throw stopped();
    const results = await Promise.all([...pending].map(async (k) => [k, await probes[k]!()] as const)).catch((err: unknown) => {
      throw ctx.signal?.aborted ? stopped() : err;
    });
    for (const [k, ok] of results) if (ok) pending.delete(k);
    if (pending.size === 0) return Date.now() - started;
    const ended = await ctx.ended?.();
    const late = Date.now() - started >= timeoutMs;
    if (ended || late) {
      const tail = await logTail(ctx.pool, ctx.node, ctx.logPath, 20);
      const waiting = describeCheck(Object.fromEntries([...pending].map((k) => [k, check[k as keyof ReadyCheck]])) as ReadyCheck);
      const why = ended ? `ended before it was ready (${ended})` : `not ready after ${timeoutMs} ms`;
      throw new NotReadyError(
        `service "${ctx.service}" on node "${ctx.node.name}" ${why}; still waiting for ${waiting}. Last log lines (${ctx.logPath}):\n${tail || '(log is empty)'}`,
        tail,
      );
    }
    await sleep(interval, ctx.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Last `lines` lines of a remote log ('' when missing or unreachable). */
export async function logTail(pool: SshPool, node: FleetNode, path: string, lines: number): Promise<string> {
  try {
    const r = await pool.exec(node, `tail -n ${lines} ${shellQuote(path)} 2>/dev/null`, { timeoutMs: 10_000 });
    return r.stdout.replace(/\n$/, '');
  } catch {
    return '';
  }
}
