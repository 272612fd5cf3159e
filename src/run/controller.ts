// Which process drives a run, and whether it still lives. A pid alone is not enough (pids are
// reused), so the controller is its pid plus its start time in clock ticks since boot
// (/proc/<pid>/stat field 22): the same pair later means the same process.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ControllerId {
  pid: number;
  /** /proc start time (clock ticks since boot); absent where /proc is not available */
  startTime?: number;
  host: string;
}

export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: split after its last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export function thisController(): ControllerId {
  const startTime = processStartTime(process.pid);
  return { pid: process.pid, ...(startTime !== undefined && { startTime }), host: hostname() };
}

export type Liveness = 'alive' | 'dead' | 'elsewhere';

/** 'elsewhere': recorded on another machine (a CI job), so this one cannot tell. */
export function controllerLiveness(c: ControllerId | undefined): Liveness {
  if (!c) return 'dead';
  if (c.host !== hostname()) return 'elsewhere';
  try {
    process.kill(c.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (c.startTime === undefined) return 'alive';
  return processStartTime(c.pid) === c.startTime ? 'alive' : 'dead';
}
