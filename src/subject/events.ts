// The `events` driver (docs/architecture.md, "Subject drivers"): the user's harness prints
// result events itself. Each round its command runs on every node of the suite at once (like
// the agent's probe); what it prints on stdout, and what it appended to `events.file` on the
// node since the last round, goes through the gate, attributed to the node it ran on.
import { pairTimeout, type PlannedSuite } from '../plan/types.js';
import type { FleetNode } from '../fleet/types.js';
import { shellQuote } from '../ssh/index.js';
import type { Outcome } from '../results/gate.js';
import { runAsNode } from './run.js';
import { expandFor } from './templates.js';
import type { DriverContext, SubjectDriver } from './types.js';
import { measureGossip, measureThroughput } from './measure.js';

/** How far each node's events file was read, per run (keyed by the run's gate). */
const fileOffsets = new WeakMap<object, Map<string, number>>();

/** New lines of a node's events file since the last read, to the gate; a partial last line waits. */
async function collectFile(ctx: DriverContext, node: FleetNode, path: string): Promise<void> {
  const offsets = fileOffsets.get(ctx.gate) ?? new Map<string, number>();
  fileOffsets.set(ctx.gate, offsets);
  const from = offsets.get(node.name) ?? 0;
  const r = await ctx.pool.exec(node, `tail -c +${from + 1} ${shellQuote(path)} 2>/dev/null || true`, { asNode: true, timeoutMs: 15_000 });
  const end = r.stdout.lastIndexOf('\n');
  if (end < 0) return;
  const complete = r.stdout.slice(0, end + 1);
  offsets.set(node.name, from + Buffer.byteLength(complete));
  for (const line of complete.split('\n')) if (line.trim()) ctx.gate.line(node.name, line.trim());
}

export async function eventsPairRound(ctx: DriverContext, suite: PlannedSuite, round: number): Promise<Map<string, Outcome>> {
  const s = ctx.plan.subject;
  const run = s.driver === 'agent' ? undefined : s.events?.run;
  const file = s.driver === 'agent' ? undefined : s.events?.file;
  if (!run) throw new Error(`suite ${suite.name} needs subject.events.run`);
  const timeoutMs = pairTimeout(suite);
  const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
  const outcomes = new Map<string, Outcome>();
  await Promise.all(
    names.map(async (name) => {
      const node = ctx.fleet.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node named ${name} in the fleet`);
      const peers = suite.pairs.filter((p) => p.from === name).map((p) => p.to);
      const command = expandFor(ctx, node, run, { round: String(round), timeout_ms: String(timeoutMs), suite: suite.name, peer_names: peers.join(',') });
      outcomes.set(name, await runAsNode(ctx, node, command, timeoutMs * 3 + 10_000, (line) => ctx.gate.line(name, line)));
      if (file) await collectFile(ctx, node, expandFor(ctx, node, file));
    }),
  );
  return outcomes;
}

export const eventsDriver: SubjectDriver = {
  name: 'events',
  process: { pairs: 'events command', throughput: 'throughput command', gossip: 'publish command' },
  pathFromEvidence: false,
  pairRound: eventsPairRound,
  throughputPair: measureThroughput,
  gossip: measureGossip,
};
