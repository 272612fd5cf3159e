// Runs one command as a node, streaming its stdout lines to a callback, and sums up how it
// ended as an Outcome for the gate's reasons.
import type { FleetNode } from '../fleet/types.js';
import type { Outcome } from '../results/gate.js';
import type { DriverContext } from './types.js';
import { lineSplitter } from '../suites/sink.js';

export interface RunResult extends Outcome {
  stdout: string;
  stderr: string;
  durationMs: number;
}

export function lastLine(text: string): string | undefined {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.at(-1);
  return last === undefined ? undefined : last.length > 200 ? `${last.slice(0, 197)}...` : last;
}

export async function runAsNode(ctx: DriverContext, node: FleetNode, command: string, timeoutMs: number, onLine?: (line: string) => void): Promise<RunResult> {
  const lines = onLine ? lineSplitter(onLine) : undefined;
  try {
    const r = await ctx.pool.exec(node, command, {
      asNode: true,
      timeoutMs,
      ...(lines && { onStdout: (c: string) => lines.push(c) }),
      ...(ctx.signal && { signal: ctx.signal }),
    });
    lines?.end();
    const tail = lastLine(r.stderr);
    return { code: r.code, timedOut: r.timedOut, ...(tail !== undefined && { stderrTail: tail }), stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
  } catch (err) {
    ctx.signal?.throwIfAborted();
    return { code: null, error: (err as Error).message, stdout: '', stderr: '', durationMs: 0 };
  }
}
