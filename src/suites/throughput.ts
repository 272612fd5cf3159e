// throughput: a TCP stream from one node to a sink on another, pair by pair (one at a time, so
// pairs don't share the link). Sinks must be reachable: only public nodes can be targets.
import type { Config } from '../config/schema.js';
import type { FleetNode } from '../providers/types.js';
import { startService, stopService } from '../deploy/index.js';
import { nodeByName, type SuiteContext } from './context.js';

export const SINK_PORT = 9101;

/** Which pairs to measure: the configured list, every pair to a public node, or a sample. */
export function throughputPairs(nodes: readonly FleetNode[], pairs: NonNullable<Config['tests']['throughput']>['pairs']): [string, string][] {
  if (Array.isArray(pairs)) return pairs.map(([a, b]) => [a, b]);
  const publicNodes = nodes.filter((n) => n.nat === 'none');
  if (pairs === 'all') return nodes.flatMap((a) => publicNodes.filter((b) => b.name !== a.name).map((b): [string, string] => [a.name, b.name]));
  // sample: every node sends once, to the next public node in the list that isn't itself
  return nodes.flatMap((a, i) => {
    const targets = publicNodes.filter((b) => b.name !== a.name);
    const b = targets[i % Math.max(targets.length, 1)];
    return b ? [[a.name, b.name] as [string, string]] : [];
  });
}

export async function runThroughputSuite(ctx: SuiteContext, seconds: number, pairs: [string, string][]): Promise<void> {
  const targets = [...new Set(pairs.map(([, b]) => b))].map((n) => nodeByName(ctx.fleet, n));
  for (const t of targets) {
    if (t.nat !== 'none') throw new Error(`throughput target ${t.name} is behind a ${t.nat} NAT: a sink must be reachable, pick a public node`);
  }
  const started: FleetNode[] = [];
  try {
    for (const t of targets) {
      await startService(ctx.pool, t, { name: 'throughput-sink', command: [ctx.binPath(t), 'serve', '--port', String(SINK_PORT), '--no-relay', '--name', t.name].join(' '), ready: { tcp: SINK_PORT, timeoutMs: 10_000 } });
      started.push(t);
    }
    for (const [a, b] of pairs) {
      ctx.signal?.throwIfAborted();
      const from = nodeByName(ctx.fleet, a);
      const to = nodeByName(ctx.fleet, b);
      const argv = [ctx.binPath(from), 'throughput', '--name', a, '--to', b, '--addr', `${to.publicIp}:${SINK_PORT}`, '--seconds', String(seconds)];
      const lines = ctx.events.lineSplitter();
      const r = await ctx.pool.execArgv(from, argv, { asNode: true, timeoutMs: seconds * 1000 + 20_000, onStdout: (c) => lines.push(c) });
      lines.end();
      ctx.log(`throughput ${a} -> ${b}: ${r.code === 0 ? 'done' : `failed (${r.stderr.trim().split('\n').pop()})`}`);
    }
  } finally {
    await Promise.all(started.map((t) => stopService(ctx.pool, t, 'throughput-sink').catch(() => undefined)));
  }
}
